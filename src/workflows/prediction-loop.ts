import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  type RetryPolicy,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { CollectOutput, PredictionActivities, PredictionSettings } from '../activities/prediction-activity-types';
import { NON_RETRYABLE_TYPES } from '../common/failure-types';
import { errText, iso, pushRecent, type Carry, type PushedSample } from './prediction-carry';
import { addDuty, combineRisk, LiveAlertBook, decideStep, dutyFraction, newDutyWindow, rerateAlerts } from './prediction-decide';
import {
  AlertSignalSchema,
  applyPolicyPatch,
  DecisionPolicySchema,
  formatIssues,
  mergePatches,
  PolicyPatchSchema,
  type PredictionInputSchema,
  PushMetricsSchema,
  ReasonTextSchema,
  type DecisionPolicy,
  type Level,
} from '../contracts/prediction-inputs';
import type { PredictionStatus } from '../contracts/prediction-messages';
import type { LoopReason, PredictionRunSummary } from '../contracts/prediction-types';
import { preemptiveBackups, requestFailover, startTraining, type ActionContext } from './prediction-actions';
import { statusOf } from './prediction-status';
import { SA_KIND, SA_SITE } from './search-attribute-keys';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] };
const setup = proxyActivities<PredictionActivities>({ startToCloseTimeout: '1 minute', retry: { ...retry, maximumAttempts: 10 } });
/** Loop steps: a failed iteration is recorded and the next one tries again, so few retries here. */
const loop = proxyActivities<PredictionActivities>({ startToCloseTimeout: '2 minutes', retry: { ...retry, maximumAttempts: 3 } });
const warn = proxyActivities<PredictionActivities>({ startToCloseTimeout: '1 minute', retry: { ...retry, maximumAttempts: 3 } });

const MAX_PUSHED_POINTS = 5000;
const DEFAULT_MAX_ITERATIONS_PER_RUN = 500;
/** Alertmanager alerts are sent with a 15 min lifetime and refreshed this often while a level lasts. */
const ALERT_REFRESH_MS = 5 * 60_000;

/** The workflow input once validated. */
export type ParsedPredictionInput = z.infer<typeof PredictionInputSchema>;

type NotifyEvent = { kind: 'raise' | 'lower' | 'resolved' | 'repeat' | 'refresh'; level: Level; from: Level };

/**
 * One run of a site's prediction loop: the state it carries (`Carry`), the message handlers
 * (each a method the workflow registers in one line) and the loop itself (`run`).
 */
export class PredictionLoop {
  private readonly site: string;
  private readonly info = workflowInfo();
  private readonly cfg: { config?: Record<string, unknown> };
  private base: DecisionPolicy = DecisionPolicySchema.parse({});
  private policy: DecisionPolicy;
  private settings: PredictionSettings | null = null;
  private wake = false;
  /** the alert index of `c.alerts`, rebuilt whenever the book is replaced (a re-rating, a new run) */
  private liveAlerts?: LiveAlertBook;
  private runIteration = 0;

  constructor(
    private readonly input: ParsedPredictionInput,
    private readonly c: Carry,
  ) {
    this.site = input.site;
    this.cfg = input.config ? { config: input.config } : {};
    this.policy = c.policy ?? this.base;
  }

  private get s(): PredictionSettings {
    if (!this.settings) throw new Error('prediction settings not loaded yet');
    return this.settings;
  }

  // ------------------------------------------------------------ messages
  pushMetrics(raw: unknown): void {
    const c = this.c;
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
  }

  alert(raw: unknown): void {
    const r = AlertSignalSchema.safeParse(raw);
    if (!r.success) {
      this.c.lastError = `alert refused: ${formatIssues(r.error)}`;
      return;
    }
    if (this.liveAlerts?.book !== this.c.alerts) this.liveAlerts = new LiveAlertBook(this.c.alerts);
    if (this.liveAlerts.apply(r.data.alerts, Date.now(), this.policy).applied > 0) this.wake = true;
  }

  pause(raw: unknown): void {
    const r = ReasonTextSchema.safeParse(raw ?? {});
    this.c.paused = true;
    this.c.pausedReason = r.success ? r.data.reason : undefined;
  }

  resume(): void {
    this.c.paused = false;
    this.c.pausedReason = undefined;
    this.wake = true;
  }

  retrain(): void {
    this.c.retrainRequested = true;
    this.wake = true;
  }

  status(): PredictionStatus {
    return statusOf(this.c, {
      site: this.site,
      workflowId: this.info.workflowId,
      runId: this.info.runId,
      runIteration: this.runIteration,
      policy: this.policy,
    });
  }

  setPolicy(patch: unknown): DecisionPolicy {
    const r = PolicyPatchSchema.parse(patch);
    const merged = applyPolicyPatch(this.base, mergePatches(this.c.overrides, r));
    if (!merged.ok) throw new Error(merged.error);
    this.c.overrides = mergePatches(this.c.overrides, r);
    this.policy = merged.policy;
    this.c.alerts = rerateAlerts(this.c.alerts, this.policy);
    this.wake = true;
    log.info('prediction policy changed', { site: this.site, patch: r });
    return this.policy;
  }

  validatePolicy(patch: unknown): void {
    const r = PolicyPatchSchema.safeParse(patch);
    if (!r.success) throw new Error(`invalid policy: ${formatIssues(r.error)}`);
    const settings = this.settings;
    const unknown = (r.data.preemptiveBackup?.assets ?? []).filter((a) => settings !== null && !settings.planAssets.includes(a));
    if (unknown.length)
      throw new Error(
        `invalid policy: preemptiveBackup.assets: ${unknown.map((a) => `"${a}"`).join(', ')} not in the plan (assets: ${settings!.planAssets.join(', ') || 'none'})`,
      );
    const merged = applyPolicyPatch(this.base, mergePatches(this.c.overrides, r.data));
    if (!merged.ok) throw new Error(`invalid policy: ${merged.error}`);
  }

  // ------------------------------------------------------------ the loop
  async run(): Promise<PredictionRunSummary> {
    const c = this.c;
    const input = this.input;
    await this.loadSettings();
    const maxPerRun = input.maxIterationsPerRun ?? this.s.maxIterationsPerRun ?? DEFAULT_MAX_ITERATIONS_PER_RUN;
    for (;;) {
      if (input.maxIterations !== undefined && c.iteration >= input.maxIterations) break;
      if (c.paused) {
        setCurrentDetails(`site ${this.site}: paused${c.pausedReason ? ` (${c.pausedReason})` : ''}`);
        await condition(() => !c.paused || workflowInfo().continueAsNewSuggested);
      }
      if (this.runIteration >= maxPerRun || workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        const { carry: _old, policy: _p, ...rest } = input;
        c.policy = this.policy;
        return continueAsNew<(input: unknown) => Promise<PredictionRunSummary>>({ ...rest, carry: c as unknown as Record<string, unknown> });
      }
      if (c.paused) continue;
      await this.iterate();
      this.wake = false;
      if (input.maxIterations !== undefined && c.iteration >= input.maxIterations) break;
      await condition(() => this.wake, this.policy.intervalMs);
    }
    await condition(allHandlersFinished);
    const risk = combineRisk({ risk: c.modelRisk, reasons: c.modelReasons }, c.alerts).risk;
    return {
      site: this.site,
      iterations: c.iteration,
      level: c.warning.level,
      risk,
      modelVersion: c.modelVersion,
      duty: { windowMs: c.duty.bucketMs * c.duty.buckets, backup: c.backupDuty, prediction: dutyFraction(c.duty, Date.now()) },
    };
  }

  private async loadSettings(): Promise<void> {
    const c = this.c;
    upsertSearchAttributes([
      { key: SA_SITE, value: this.site },
      { key: SA_KIND, value: 'prediction' },
    ]);
    this.settings = await setup.predictionSettings({ site: this.site, ...this.cfg });
    const s = this.settings;
    this.base = s.policy;
    const applied = c.overrides ? applyPolicyPatch(this.base, c.overrides) : { ok: true as const, policy: this.base };
    if (!applied.ok) {
      log.warn('policy overrides no longer valid with the site config; dropped', { site: this.site, error: applied.error });
      c.overrides = undefined;
      this.policy = this.base;
    } else this.policy = applied.policy;
    c.alerts = rerateAlerts(c.alerts, this.policy);
    if (c.duty.bucketMs !== newDutyWindow(0, s.dutyWindowMs).bucketMs) c.duty = newDutyWindow(Date.now(), s.dutyWindowMs);
  }

  // ------------------------------------------------------------ one iteration
  private async iterate(): Promise<void> {
    const c = this.c;
    const s = this.s;
    const site = this.site;
    const now = Date.now();
    if (c.retrainRequested) {
      c.retrainRequested = false;
      await startTraining(this.actionContext(), 'retrain signal');
    }
    const until = now - s.lagMs;
    // pushed samples of buckets not complete yet wait for the next iteration
    const horizon = Math.floor(until / s.stepMs) * s.stepMs;
    const taken = this.takePushed(horizon);
    c.gen++;
    let computeMs = 0;
    let col: CollectOutput | null = null;
    try {
      col = await loop.collectSignals({
        site,
        ...this.cfg,
        gen: c.gen,
        since: c.since,
        until,
        logCursors: c.logCursors,
        pushed: taken,
        assets: s.assets,
        dutyWindowMs: s.dutyWindowMs,
      });
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
      this.giveBack(taken);
      c.errors++;
      c.lastError = errText(e);
      log.warn('prediction iteration failed; the model risk is stale until the next one', { site, error: c.lastError });
    }

    const combined = combineRisk({ risk: c.modelRisk, reasons: c.modelReasons }, c.alerts);
    const d = decideStep(c.warning, combined.risk, now, this.policy);
    c.warning = d.state;
    const top = combined.reasons[0] ? `${combined.reasons[0].source}: ${combined.reasons[0].message}`.slice(0, 120) : '';
    const actions: string[] = [];
    if (d.backup) actions.push(...(await preemptiveBackups(this.actionContext(), now, combined.risk, top)));
    if (d.failover) actions.push(await requestFailover(this.actionContext(), now, combined.risk, top));
    if (d.notify) await this.notify(d.notify, now, combined.risk, combined.reasons, actions);
    else if (
      s.sinks.alertmanager &&
      c.warning.level !== 'ok' &&
      c.warning.notified.level === c.warning.level &&
      (c.lastAlertRefreshAt === null || now - c.lastAlertRefreshAt >= ALERT_REFRESH_MS)
    ) {
      await this.notify({ kind: 'refresh', level: c.warning.level, from: c.warning.level }, now, combined.risk, combined.reasons, []);
    }

    c.duty = addDuty(c.duty, Date.now(), computeMs);
    c.lastIterationAt = now;
    c.lastIterationMs = computeMs;
    c.iteration++;
    this.runIteration++;
    setCurrentDetails(
      `site ${site}: ${c.warning.level} (risk ${combined.risk.toFixed(2)})${top ? ` - ${top}` : ''}; model ${c.modelVersion ?? 'none'}; iteration ${c.iteration}; P(W) ${dutyFraction(c.duty, now).toFixed(4)}${c.backupDuty !== null ? `, P(B) ${c.backupDuty.toFixed(4)}` : ''}`,
    );
  }

  private takePushed(before: number): Record<string, PushedSample[]> {
    const out: Record<string, PushedSample[]> = {};
    for (const [k, list] of Object.entries(this.c.pushed)) {
      const now = list.filter((x) => x.t < before);
      const later = list.filter((x) => x.t >= before);
      if (now.length) out[k] = now;
      if (later.length) this.c.pushed[k] = later;
      else delete this.c.pushed[k];
    }
    return out;
  }

  private giveBack(samples: Record<string, PushedSample[]>): void {
    for (const [k, list] of Object.entries(samples)) this.c.pushed[k] = [...list, ...(this.c.pushed[k] ?? [])].slice(-MAX_PUSHED_POINTS);
  }

  // ------------------------------------------------------------ actions (children started once per id)
  private actionContext(): ActionContext {
    return {
      site: this.site,
      cfg: this.cfg,
      policy: this.policy,
      failoverCapable: this.s.failoverCapable,
      record: (a) => (this.c.recentActions = pushRecent(this.c.recentActions, a)),
    };
  }

  private async notify(event: NotifyEvent, now: number, risk: number, reasons: LoopReason[], actions: string[]): Promise<void> {
    const c = this.c;
    let failed: string[] = [];
    try {
      const results = await warn.sendPredictionWarning({
        site: this.site,
        ...this.cfg,
        event: {
          site: this.site,
          kind: event.kind,
          level: event.level,
          from: event.from,
          risk,
          reasons: reasons.slice(0, 10),
          at: iso(now)!,
          ...(c.warning.since !== null ? { since: iso(c.warning.since)! } : {}),
          workflowId: this.info.workflowId,
          modelVersion: c.modelVersion,
          actions,
        },
      });
      failed = results.filter((r) => !r.ok).map((r) => `${r.sink}: ${r.error ?? 'failed'}`);
    } catch (e) {
      if (isCancellation(e)) throw e;
      failed = [`all sinks: ${errText(e)}`];
    }
    if (this.s.sinks.alertmanager) c.lastAlertRefreshAt = event.level === 'ok' ? null : now;
    if (event.kind === 'refresh') return;
    c.warningsSent++;
    c.recentWarnings = pushRecent(c.recentWarnings, {
      at: iso(now)!,
      kind: event.kind,
      level: event.level,
      from: event.from,
      risk,
      reasons: reasons.slice(0, 3).map((r) => `${r.source}: ${r.message}`),
      failed,
    });
  }
}
