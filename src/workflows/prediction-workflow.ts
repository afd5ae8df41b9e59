import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  type RetryPolicy,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { CollectOutput, PredictionActivities, PredictionSettings, ScoreOutput, StateHandle } from '../activities/prediction-activity-types';
import type { LogCursor } from '../predict/sources/log-counter';
import { NON_RETRYABLE_TYPES } from '../common/failure-types';
import { failoverWorkflowId } from './failover-inputs';
import {
  addDuty,
  applyAlerts,
  combineRisk,
  cooldownSlot,
  decideStep,
  dutyFraction,
  EMPTY_ALERT_BOOK,
  INITIAL_WARNING_STATE,
  newDutyWindow,
  rerateAlerts,
  type AlertBook,
  type DutyWindow,
  type LoopReason,
  type WarningState,
} from './prediction-decide';
import {
  AlertSignalSchema,
  applyPolicyPatch,
  DecisionPolicySchema,
  formatIssues,
  mergePatches,
  PolicyPatchSchema,
  PredictionInputSchema,
  preemptiveBackupId,
  PushMetricsSchema,
  ReasonTextSchema,
  trainingWorkflowId,
  type DecisionPolicy,
  type Level,
  type PolicyPatch,
} from './prediction-inputs';
import {
  alertSignal,
  pauseSignal,
  predictionStatusQuery,
  pushMetricsSignal,
  resumeSignal,
  retrainSignal,
  setPolicyUpdate,
  type ActionRecord,
  type PredictionStatus,
  type WarningRecord,
} from './prediction-messages';
import { SA_KIND, SA_SITE } from './search-attribute-keys';
import { FailureType } from '../common/failure-types';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] };
const setup = proxyActivities<PredictionActivities>({ startToCloseTimeout: '1 minute', retry: { ...retry, maximumAttempts: 10 } });
/** Loop steps: a failed iteration is recorded and the next one tries again, so few retries here. */
const loop = proxyActivities<PredictionActivities>({ startToCloseTimeout: '2 minutes', retry: { ...retry, maximumAttempts: 3 } });
const warn = proxyActivities<PredictionActivities>({ startToCloseTimeout: '1 minute', retry: { ...retry, maximumAttempts: 3 } });

const RECENT = 20;
const MAX_PUSHED_POINTS = 5000;
const DEFAULT_MAX_ITERATIONS_PER_RUN = 500;
/** Alertmanager alerts are sent with a 15 min lifetime and refreshed this often while a level lasts. */
const ALERT_REFRESH_MS = 5 * 60_000;

interface Sample {
  t: number;
  v: number;
}

/** Everything the loop carries through continue-as-new (plain JSON, kept small: the predictor state goes by reference when large). */
interface Carry {
  v: 1;
  iteration: number;
  runs: number;
  overrides?: PolicyPatch;
  /** The effective policy when the previous run ended (answers queries until the settings load). */
  policy?: DecisionPolicy;
  state: StateHandle | null;
  gen: number;
  since: number | null;
  logCursors: Record<string, LogCursor>;
  warning: WarningState;
  alerts: AlertBook;
  recentWarnings: WarningRecord[];
  warningsSent: number;
  recentActions: ActionRecord[];
  duty: DutyWindow;
  backupDuty: number | null;
  pushed: Record<string, Sample[]>;
  pushedRejected: number;
  paused: boolean;
  pausedReason?: string;
  retrainRequested: boolean;
  modelRisk: number;
  modelReasons: LoopReason[];
  modelVersion: string | null;
  unknownSeries: string[];
  forecasts: ScoreOutput['forecasts'];
  lastError: string | null;
  errors: number;
  lastIterationAt: number | null;
  lastIterationMs: number | null;
  stateBytes: number;
  lastAlertRefreshAt: number | null;
}

function freshCarry(now: number): Carry {
  return {
    v: 1,
    iteration: 0,
    runs: 0,
    state: null,
    gen: 0,
    since: null,
    logCursors: {},
    warning: INITIAL_WARNING_STATE,
    alerts: EMPTY_ALERT_BOOK,
    recentWarnings: [],
    warningsSent: 0,
    recentActions: [],
    duty: newDutyWindow(now, 3600_000),
    backupDuty: null,
    pushed: {},
    pushedRejected: 0,
    paused: false,
    retrainRequested: false,
    modelRisk: 0,
    modelReasons: [],
    modelVersion: null,
    unknownSeries: [],
    forecasts: [],
    lastError: null,
    errors: 0,
    lastIterationAt: null,
    lastIterationMs: null,
    stateBytes: 0,
    lastAlertRefreshAt: null,
  };
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
const errText = (e: unknown): string => {
  const err = e as { message?: string; cause?: { message?: string } };
  return (err.cause?.message ?? err.message ?? String(e)).slice(0, 500);
};
const alreadyStarted = (e: unknown): boolean => (e as { name?: string })?.name === 'WorkflowExecutionAlreadyStartedError';
const push = <T>(list: T[], item: T): T[] => [...list, item].slice(-RECENT);

export interface PredictionRunSummary {
  site: string;
  iterations: number;
  level: Level;
  risk: number;
  modelVersion: string | null;
  duty: PredictionStatus['duty'];
}

/**
 * The prediction loop of one site (workflow id "predict-<site>"): collect -> score -> decide ->
 * warn/act -> sleep, for ever, continuing as new every `maxIterationsPerRun` iterations or when
 * Temporal suggests it. Input from the UI: {"site": "eu-west"}.
 */
export async function predictionWorkflow(rawInput: unknown): Promise<PredictionRunSummary> {
  const parsed = PredictionInputSchema.safeParse(rawInput ?? {});
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid prediction input: ${formatIssues(parsed.error)}`, FailureType.BadInput);
  const input = parsed.data;
  const site = input.site;
  const info = workflowInfo();
  const carried = input.carry as Carry | undefined;
  if (carried !== undefined && carried.v !== 1) throw ApplicationFailure.nonRetryable('carry: unknown version', FailureType.BadInput);
  const c: Carry = carried ? { ...freshCarry(Date.now()), ...carried } : freshCarry(Date.now());
  c.runs++;
  if (input.policy) c.overrides = mergePatches(c.overrides, input.policy);

  let base: DecisionPolicy = DecisionPolicySchema.parse({});
  let policy: DecisionPolicy = c.policy ?? base;
  let settings: PredictionSettings | null = null;
  let wake = false;
  let runIteration = 0;

  // ------------------------------------------------------------ messages
  setHandler(pushMetricsSignal, (raw) => {
    const r = PushMetricsSchema.safeParse(raw);
    if (!r.success) {
      c.pushedRejected++;
      c.lastError = `pushMetrics refused: ${formatIssues(r.error)}`;
      return;
    }
    const now = Date.now();
    let total = Object.values(c.pushed).reduce((n, s) => n + s.length, 0);
    for (const s of r.data.samples) {
      if (total >= MAX_PUSHED_POINTS) {
        c.pushedRejected++;
        continue;
      }
      (c.pushed[s.series] ??= []).push({ t: s.t ?? now, v: s.v });
      total++;
    }
  });
  setHandler(alertSignal, (raw) => {
    const r = AlertSignalSchema.safeParse(raw);
    if (!r.success) {
      c.lastError = `alert refused: ${formatIssues(r.error)}`;
      return;
    }
    const a = applyAlerts(c.alerts, r.data.alerts, Date.now(), policy);
    c.alerts = a.book;
    if (a.applied > 0) wake = true;
  });
  setHandler(pauseSignal, (raw) => {
    const r = ReasonTextSchema.safeParse(raw ?? {});
    c.paused = true;
    c.pausedReason = r.success ? r.data.reason : undefined;
  });
  setHandler(resumeSignal, () => {
    c.paused = false;
    c.pausedReason = undefined;
    wake = true;
  });
  setHandler(retrainSignal, () => {
    c.retrainRequested = true;
    wake = true;
  });
  setHandler(predictionStatusQuery, (): PredictionStatus => {
    const now = Date.now();
    const combined = combineRisk({ risk: c.modelRisk, reasons: c.modelReasons }, c.alerts);
    return {
      site,
      workflowId: info.workflowId,
      runId: info.runId,
      paused: c.paused,
      ...(c.pausedReason ? { pausedReason: c.pausedReason } : {}),
      iteration: c.iteration,
      runIteration,
      runs: c.runs,
      risk: combined.risk,
      modelRisk: c.modelRisk,
      level: c.warning.level,
      levelSince: iso(c.warning.since),
      reasons: combined.reasons,
      alerts: Object.values(c.alerts.active).slice(0, 20),
      alertStats: { received: c.alerts.received, duplicates: c.alerts.duplicates },
      recentWarnings: c.recentWarnings,
      warningsSent: c.warningsSent,
      suppressed: c.warning.suppressed,
      recentActions: c.recentActions,
      modelVersion: c.modelVersion,
      unknownSeries: c.unknownSeries,
      forecasts: c.forecasts,
      duty: { windowMs: c.duty.bucketMs * c.duty.buckets, backup: c.backupDuty, prediction: dutyFraction(c.duty, now) },
      lastIterationAt: iso(c.lastIterationAt),
      lastIterationMs: c.lastIterationMs,
      lastError: c.lastError,
      errors: c.errors,
      pushedPending: Object.values(c.pushed).reduce((n, s) => n + s.length, 0),
      pushedRejected: c.pushedRejected,
      stateBytes: c.stateBytes,
      stateRef: c.state?.value.ref ?? null,
      policy,
    };
  });
  setHandler(
    setPolicyUpdate,
    (patch) => {
      const r = PolicyPatchSchema.parse(patch);
      const merged = applyPolicyPatch(base, mergePatches(c.overrides, r));
      if (!merged.ok) throw new Error(merged.error);
      c.overrides = mergePatches(c.overrides, r);
      policy = merged.policy;
      c.alerts = rerateAlerts(c.alerts, policy);
      wake = true;
      log.info('prediction policy changed', { site, patch: r });
      return policy;
    },
    {
      validator: (patch) => {
        const r = PolicyPatchSchema.safeParse(patch);
        if (!r.success) throw new Error(`invalid policy: ${formatIssues(r.error)}`);
        const unknown = (r.data.preemptiveBackup?.assets ?? []).filter((a) => settings !== null && !settings.planAssets.includes(a));
        if (unknown.length) throw new Error(`invalid policy: preemptiveBackup.assets: ${unknown.map((a) => `"${a}"`).join(', ')} not in the plan (assets: ${settings!.planAssets.join(', ') || 'none'})`);
        const merged = applyPolicyPatch(base, mergePatches(c.overrides, r.data));
        if (!merged.ok) throw new Error(`invalid policy: ${merged.error}`);
      },
    },
  );

  // ------------------------------------------------------------ setup
  upsertSearchAttributes([
    { key: SA_SITE, value: site },
    { key: SA_KIND, value: 'prediction' },
  ]);
  settings = await setup.predictionSettings({ site, ...(input.config ? { config: input.config } : {}) });
  const s = settings;
  base = s.policy;
  const applied = c.overrides ? applyPolicyPatch(base, c.overrides) : { ok: true as const, policy: base };
  if (!applied.ok) {
    log.warn('policy overrides no longer valid with the site config; dropped', { site, error: applied.error });
    c.overrides = undefined;
    policy = base;
  } else policy = applied.policy;
  c.alerts = rerateAlerts(c.alerts, policy);
  if (c.duty.bucketMs !== newDutyWindow(0, s.dutyWindowMs).bucketMs) c.duty = newDutyWindow(Date.now(), s.dutyWindowMs);
  const maxPerRun = input.maxIterationsPerRun ?? s.maxIterationsPerRun ?? DEFAULT_MAX_ITERATIONS_PER_RUN;
  const cfg = input.config ? { config: input.config } : {};

  // ------------------------------------------------------------ actions
  async function startTraining(reason: string): Promise<void> {
    const workflowId = trainingWorkflowId(site);
    try {
      await startChild('trainingWorkflow', { workflowId, args: [{ site, ...cfg, reason: reason.slice(0, 200) }], parentClosePolicy: ParentClosePolicy.ABANDON, staticSummary: `training for ${site} (${reason})` });
      c.recentActions = push(c.recentActions, { at: iso(Date.now())!, kind: 'training', workflowId, outcome: 'started', detail: reason });
    } catch (e) {
      const joined = alreadyStarted(e);
      c.recentActions = push(c.recentActions, { at: iso(Date.now())!, kind: 'training', workflowId, outcome: joined ? 'joined' : 'failed', detail: joined ? 'a training is already running' : errText(e) });
    }
  }

  async function preemptiveBackups(now: number, risk: number, top: string): Promise<string[]> {
    const slot = cooldownSlot(now, policy.preemptiveBackup.cooldownMs);
    const done: string[] = [];
    for (const asset of policy.preemptiveBackup.assets) {
      const workflowId = preemptiveBackupId(site, asset, slot);
      const reason = `pre-emptive (prediction ${site}, risk ${risk.toFixed(2)}${top ? `: ${top}` : ''})`.slice(0, 200);
      let outcome: ActionRecord['outcome'];
      let detail: string;
      try {
        await startChild('backupWorkflow', {
          workflowId,
          args: [{ asset, reason }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          staticSummary: `pre-emptive backup of ${asset} (site ${site} at risk ${risk.toFixed(2)})`,
        });
        outcome = 'started';
        detail = `backup of ${asset} started`;
      } catch (e) {
        if (isCancellation(e)) throw e;
        outcome = alreadyStarted(e) ? 'joined' : 'failed';
        detail = outcome === 'joined' ? `backup of ${asset} already started in this cooldown slot` : `backup of ${asset} not started: ${errText(e)}`;
      }
      c.recentActions = push(c.recentActions, { at: iso(now)!, kind: 'preemptive-backup', workflowId, outcome, detail });
      log.info('pre-emptive backup', { site, asset, workflowId, outcome });
      done.push(`${detail} (${workflowId})`);
    }
    return done;
  }

  async function requestFailover(now: number, risk: number, top: string): Promise<string> {
    const reason = `prediction: risk ${risk.toFixed(2)}${top ? ` (${top})` : ''}`.slice(0, 500);
    if (policy.failover === 'recommendOnly' || !s.failoverCapable) {
      const why = policy.failover === 'recommendOnly' ? 'policy is recommendOnly' : 'the site has no failover configuration (primary, standby, switcher)';
      const detail = `failover recommended, not requested (${why}): ${reason}`;
      c.recentActions = push(c.recentActions, { at: iso(now)!, kind: 'failover-recommendation', outcome: 'recorded', detail });
      log.warn('failover recommended', { site, risk, why });
      return detail;
    }
    const workflowId = failoverWorkflowId(site);
    let outcome: ActionRecord['outcome'];
    let detail: string;
    try {
      await startChild('failoverWorkflow', {
        workflowId,
        args: [{ site, mode: 'planned', source: 'prediction', reason, approval: { required: true } }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `failover of ${site} requested by prediction (approval required)`,
      });
      outcome = 'started';
      detail = `failover requested, waiting for approval (${workflowId})`;
    } catch (e) {
      if (isCancellation(e)) throw e;
      outcome = alreadyStarted(e) ? 'joined' : 'failed';
      detail = outcome === 'joined' ? `a failover of ${site} is already running (${workflowId})` : `failover not requested: ${errText(e)}`;
    }
    c.recentActions = push(c.recentActions, { at: iso(now)!, kind: 'failover', workflowId, outcome, detail });
    log.warn('failover requested', { site, risk, workflowId, outcome });
    return detail;
  }

  async function notify(event: { kind: 'raise' | 'lower' | 'resolved' | 'repeat' | 'refresh'; level: Level; from: Level }, now: number, risk: number, reasons: LoopReason[], actions: string[]): Promise<void> {
    let failed: string[] = [];
    try {
      const results = await warn.sendPredictionWarning({
        site,
        ...cfg,
        event: {
          site,
          kind: event.kind,
          level: event.level,
          from: event.from,
          risk,
          reasons: reasons.slice(0, 10),
          at: iso(now)!,
          ...(c.warning.since !== null ? { since: iso(c.warning.since)! } : {}),
          workflowId: info.workflowId,
          modelVersion: c.modelVersion,
          actions,
        },
      });
      failed = results.filter((r) => !r.ok).map((r) => `${r.sink}: ${r.error ?? 'failed'}`);
    } catch (e) {
      if (isCancellation(e)) throw e;
      failed = [`all sinks: ${errText(e)}`];
    }
    if (s.sinks.alertmanager) c.lastAlertRefreshAt = event.level === 'ok' ? null : now;
    if (event.kind === 'refresh') return;
    c.warningsSent++;
    c.recentWarnings = push(c.recentWarnings, { at: iso(now)!, kind: event.kind, level: event.level, from: event.from, risk, reasons: reasons.slice(0, 3).map((r) => `${r.source}: ${r.message}`), failed });
  }

  // ------------------------------------------------------------ one iteration
  function takePushed(before: number): Record<string, Sample[]> {
    const out: Record<string, Sample[]> = {};
    for (const [k, list] of Object.entries(c.pushed)) {
      const now = list.filter((x) => x.t < before);
      const later = list.filter((x) => x.t >= before);
      if (now.length) out[k] = now;
      if (later.length) c.pushed[k] = later;
      else delete c.pushed[k];
    }
    return out;
  }

  function giveBack(samples: Record<string, Sample[]>): void {
    for (const [k, list] of Object.entries(samples)) c.pushed[k] = [...list, ...(c.pushed[k] ?? [])].slice(-MAX_PUSHED_POINTS);
  }

  async function iterate(): Promise<void> {
    const now = Date.now();
    if (c.retrainRequested) {
      c.retrainRequested = false;
      await startTraining('retrain signal');
    }
    const until = now - s.lagMs;
    // pushed samples of buckets not complete yet wait for the next iteration
    const horizon = Math.floor(until / s.stepMs) * s.stepMs;
    const taken = takePushed(horizon);
    c.gen++;
    let computeMs = 0;
    let col: CollectOutput | null = null;
    try {
      col = await loop.collectSignals({ site, ...cfg, gen: c.gen, since: c.since, until, logCursors: c.logCursors, pushed: taken, assets: s.assets, dutyWindowMs: s.dutyWindowMs });
      computeMs += col.computeMs;
      const sc = await loop.scorePrediction({ site, gen: c.gen, state: c.state, batch: col.batch, until });
      computeMs += sc.computeMs;
      c.logCursors = col.logCursors;
      c.since = until;
      c.backupDuty = col.backupDuty;
      c.state = sc.state;
      c.stateBytes = sc.stateBytes;
      if (sc.modelChanged) log.info('prediction model in use', { site, modelVersion: sc.modelVersion, previous: c.modelVersion });
      c.modelVersion = sc.modelVersion;
      c.modelRisk = sc.risk;
      c.modelReasons = sc.reasons;
      c.unknownSeries = sc.unknownSeries;
      c.forecasts = sc.forecasts;
      c.lastError = col.errors.length ? col.errors.join('; ').slice(0, 1000) : null;
    } catch (e) {
      if (isCancellation(e)) throw e;
      // nothing of this iteration was kept (cursors, since): the next one collects it all again
      giveBack(taken);
      c.errors++;
      c.lastError = errText(e);
      log.warn('prediction iteration failed; the model risk is stale until the next one', { site, error: c.lastError });
    }

    const combined = combineRisk({ risk: c.modelRisk, reasons: c.modelReasons }, c.alerts);
    const d = decideStep(c.warning, combined.risk, now, policy);
    c.warning = d.state;
    const top = combined.reasons[0] ? `${combined.reasons[0].source}: ${combined.reasons[0].message}`.slice(0, 120) : '';
    const actions: string[] = [];
    if (d.backup) actions.push(...(await preemptiveBackups(now, combined.risk, top)));
    if (d.failover) actions.push(await requestFailover(now, combined.risk, top));
    if (d.notify) await notify(d.notify, now, combined.risk, combined.reasons, actions);
    else if (s.sinks.alertmanager && c.warning.level !== 'ok' && c.warning.notified.level === c.warning.level && (c.lastAlertRefreshAt === null || now - c.lastAlertRefreshAt >= ALERT_REFRESH_MS)) {
      await notify({ kind: 'refresh', level: c.warning.level, from: c.warning.level }, now, combined.risk, combined.reasons, []);
    }

    c.duty = addDuty(c.duty, Date.now(), computeMs);
    c.lastIterationAt = now;
    c.lastIterationMs = computeMs;
    c.iteration++;
    runIteration++;
    setCurrentDetails(
      `site ${site}: ${c.warning.level} (risk ${combined.risk.toFixed(2)})${top ? ` - ${top}` : ''}; model ${c.modelVersion ?? 'none'}; iteration ${c.iteration}; P(W) ${dutyFraction(c.duty, now).toFixed(4)}${c.backupDuty !== null ? `, P(B) ${c.backupDuty.toFixed(4)}` : ''}`,
    );
  }

  // ------------------------------------------------------------ the loop
  for (;;) {
    if (input.maxIterations !== undefined && c.iteration >= input.maxIterations) break;
    if (c.paused) {
      setCurrentDetails(`site ${site}: paused${c.pausedReason ? ` (${c.pausedReason})` : ''}`);
      await condition(() => !c.paused || workflowInfo().continueAsNewSuggested);
    }
    if (runIteration >= maxPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      const { carry: _old, policy: _p, ...rest } = input;
      c.policy = policy;
      return continueAsNew<typeof predictionWorkflow>({ ...rest, carry: c as unknown as Record<string, unknown> });
    }
    if (c.paused) continue;
    await iterate();
    wake = false;
    if (input.maxIterations !== undefined && c.iteration >= input.maxIterations) break;
    await condition(() => wake, policy.intervalMs);
  }
  await condition(allHandlersFinished);
  return { site, iterations: c.iteration, level: c.warning.level, risk: combineRisk({ risk: c.modelRisk, reasons: c.modelReasons }, c.alerts).risk, modelVersion: c.modelVersion, duty: { windowMs: c.duty.bucketMs * c.duty.buckets, backup: c.backupDuty, prediction: dutyFraction(c.duty, Date.now()) } };
}
