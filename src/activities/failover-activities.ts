import { ApplicationFailure, Context } from '@temporalio/activity';
import { BadInputError } from '../common/errors';
import { logger } from '../common/logger';
import { redactDeep } from '../common/secrets';
import { parseOrThrow } from '../common/zod-errors';
import type { Plan } from '../config/plan-schema';
import type { Repository } from '../engine/repo/repository';
import { runAction } from '../failover/actions';
import { createSwitcher } from '../failover/switcher-kinds';
import { describeHealthFailure, resolveHealthChecks, sha256File, waitUntilHealthy, type HealthReport } from '../failover/health';
import { FailoverModeSchema, summarise, type FailoverReport } from '../common/failover-report';
import type { HealthCheck } from '../failover/health-check-schema';
import type { Site } from '../failover/site-schema';
import type { Switcher } from '../failover/switcher';
import { TrafficRecords } from '../failover/traffic-record';
import { notifyObjectivesMissed } from '../failover/objective-warning';
import { siteReadiness } from '../failover/readiness';
import { FailoverReportStore } from '../failover/report-store';
import { selectSnapshots } from '../failover/snapshot-selection';
import { isFailoverSite } from '../failover/plan-sites';
import { signedRecords } from '../engine/repo/signed-records';
import {
  DrillCleanupInputSchema,
  FaultInputSchema,
  IncidentInputSchema,
  PreservedTargetInputSchema,
  PutBackInputSchema,
  SideActionInputSchema,
  SnapshotSelectionInputSchema,
  StatusInputSchema,
  SwitchInputSchema,
  TrafficCheckInputSchema,
  VerifySideInputSchema,
  WriteReportInputSchema,
  type DrillCleanupInput,
  type FaultInput,
  type IncidentInput,
  type PreservedTargetInput,
  type PutBackInput,
  type SideActionInput,
  type SnapshotSelectionInput,
  type StatusInput,
  type SwitchInput,
  type TrafficCheckInput,
  type VerifySideInput,
  type WriteReportInput,
} from '../contracts/failover-activity-inputs';
import { ReportLookupSchema, type ReportLookup } from '../contracts/failover-inputs';
import type { ActionSummary, HealthSummary, SelectedSnapshot, SiteBrief, SiteReadiness, SwitchSummary } from '../contracts/failover-types';
import { mapFailure } from './failure';
import type { MetricsSink } from './metrics-sink';
import { cleanDrillTarget, discardPreserved, preserveTarget, putBackTarget, SiteCatalog, targetOf, targetsOf } from '../failover/site-targets';
import { snapshotFileResolver } from './snapshot-file-hash';
import { FailureType } from '../common/failure-types';
import { cancelledAsCancelled } from './cancelled-as-cancelled';
import { reportProgress } from './progress';
import { healthSummary } from './health-summary';

export interface FailoverActivityDeps {
  plan: Plan;
  repo: Repository;
  env?: NodeJS.ProcessEnv;
  metrics?: MetricsSink;
}

const attempt = () => Context.current().info.attempt;

/**
 * The activities of failover, drill and failback: thin, validated, idempotent adapters over
 * src/failover (actions, switchers, health checks) and the repository (snapshots, reports).
 */
export function createFailoverActivities(deps: FailoverActivityDeps) {
  const { plan, repo } = deps;
  const env = deps.env ?? process.env;
  const sites = new SiteCatalog(plan);
  const switchers = new Map<string, Switcher>();
  const traffic = new TrafficRecords(signedRecords(repo));

  const reports = new FailoverReportStore(repo.store);
  const log = logger().child({ component: 'failover' });
  const faultsAllowed = () => env.LEPTON_DR_ALLOW_FAULT_INJECTION === '1';
  const switcherOf = (site: Site): Switcher => {
    let s = switchers.get(site.name);
    if (!s) {
      s = createSwitcher(site);
      switchers.set(site.name, s);
    }
    return s;
  };

  /** Run health checks with snapshot checksums resolved from the repository; throws HealthCheckFailed. */
  async function runChecks(
    what: string,
    checks: HealthCheck[],
    site: Site,
    side: 'primary' | 'standby' | 'drill',
    snapshots: { asset: string; id: string }[],
    signal: AbortSignal,
  ): Promise<HealthReport> {
    const resolver = snapshotFileResolver(repo, snapshots, targetsOf(site, side));
    const resolved = await resolveHealthChecks(checks, resolver);
    const report = await waitUntilHealthy(resolved, { signal, onAttempt: (name, n, a) => reportProgress({ check: name, attempt: n, ok: a.ok }) });
    if (!report.ok)
      throw ApplicationFailure.create({ message: `${what}: ${describeHealthFailure(report)}`, type: FailureType.HealthCheckFailed, nonRetryable: true });
    return report;
  }

  const activities = {
    /** Check the site and the trigger, and tell the workflow what it needs to know of the site. */
    async openIncident(raw: IncidentInput): Promise<SiteBrief> {
      return mapFailure(async () => {
        const i = parseOrThrow(IncidentInputSchema, raw, 'incident');
        if (i.faultInjection && !faultsAllowed()) {
          throw new BadInputError(
            'faultInjection: refused; this worker does not allow fault injection (start it with LEPTON_DR_ALLOW_FAULT_INJECTION=1, tests only)',
          );
        }
        const site = sites.get(i.site);
        const trafficOn = (await traffic.resolve(site.name, await switcherOf(site).current())).side;
        if (i.mode === 'drill' && !site.drill) throw new BadInputError(`mode: site ${site.name} has no "drill" section (drill.targetDir) in the plan`);
        if (i.mode !== 'failback' && site.standby.restore.length === 0) throw new BadInputError(`site ${site.name}: standby.restore lists no asset to restore`);
        if ((i.mode === 'planned' || i.mode === 'unplanned') && trafficOn === 'standby') {
          throw ApplicationFailure.create({
            message: `site ${site.name}: traffic is already on the standby; fail back first`,
            type: FailureType.WrongSide,
            nonRetryable: true,
          });
        }
        if (i.mode === 'failback') {
          if (site.primary.restore.length === 0) throw new BadInputError(`site ${site.name}: primary.restore lists no asset to restore`);
          if (trafficOn === 'primary' && !i.force) {
            throw ApplicationFailure.create({
              message: `site ${site.name}: traffic is already on the primary; nothing to fail back (force: true to run anyway)`,
              type: FailureType.WrongSide,
              nonRetryable: true,
            });
          }
          const from = i.from ?? site.failback.from;
          const missing = site.primary.restore.filter((r) => !site.standby.restore.some((s) => s.asset === r.asset)).map((r) => r.asset);
          if (from === 'standby' && missing.length)
            throw new BadInputError(`site ${site.name}: failback from the standby needs standby.restore entries for ${missing.join(', ')}`);
        }
        const side = (s: 'primary' | 'standby') => ({
          ...(site[s].upstream ? { upstream: site[s].upstream } : {}),
          restore: targetsOf(site, s),
          health: site[s].health.length,
          fence: Boolean(site[s].fence),
          unfence: Boolean(site[s].unfence),
          afterRestore: Boolean(site[s].afterRestore),
        });
        Context.current().log.info('incident opened', { site: site.name, mode: i.mode, trafficOn });
        return {
          site: site.name,
          objectives: site.objectives,
          approval: site.approval,
          fencing: site.fencing,
          failbackFrom: site.failback.from,
          primary: side('primary'),
          standby: side('standby'),
          ...(site.drill ? { drill: targetsOf(site, 'drill') } : {}),
          trafficChecks: site.trafficChecks.length,
          trafficOn,
        };
      });
    },

    /** Tests: fail the step named. Refused unless the worker runs with LEPTON_DR_ALLOW_FAULT_INJECTION=1. */
    async injectFault(raw: FaultInput): Promise<void> {
      const { step } = parseOrThrow(FaultInputSchema, raw, 'fault');
      if (!faultsAllowed())
        throw ApplicationFailure.create({ message: 'fault injection is not allowed on this worker', type: FailureType.BadInput, nonRetryable: true });
      Context.current().log.warn('injecting a fault', { step });
      throw ApplicationFailure.create({ message: `injected fault at step "${step}"`, type: FailureType.InjectedFault, nonRetryable: true });
    },

    /** fence / unfence / afterRestore of one side. A failed action throws (retryable: the policy decides). */
    async sideAction(raw: SideActionInput): Promise<ActionSummary & { attempt: number }> {
      return mapFailure(async () => {
        const signal = Context.current().cancellationSignal;
        const i = parseOrThrow(SideActionInputSchema, raw, 'side action');
        const site = sites.get(i.site);
        const action = site[i.side][i.action];
        if (!action) return { ok: true, target: '-', durationMs: 0, detail: `no ${i.action} action configured for the ${i.side}`, attempt: attempt() };
        const r = await runAction(action, { signal });
        if (!r.ok)
          throw ApplicationFailure.create({
            message: `${i.action} of the ${i.side} of ${site.name} failed: ${r.target}: ${r.error}`,
            type: FailureType.ActionFailed,
          });
        return {
          ok: true,
          target: r.target,
          durationMs: r.durationMs,
          detail: `${r.target} -> ${r.status ?? `exit ${r.exitCode}`} in ${r.durationMs} ms`,
          attempt: attempt(),
        };
      });
    },

    /** The snapshot per asset of a side's restore list: an id, the newest before a time, or the newest (verified signature). */
    async selectSnapshots(raw: SnapshotSelectionInput): Promise<SelectedSnapshot[]> {
      return mapFailure(async () => {
        const i = parseOrThrow(SnapshotSelectionInputSchema, raw, 'snapshot selection');
        const site = sites.get(i.site);
        const assets = targetsOf(site, i.side).map((t) => t.asset);
        return selectSnapshots(repo, assets, `the ${i.side} of ${site.name}`, i);
      });
    },

    /** Move a side's current data aside before a restore replaces it (idempotent). */
    async preserveTarget(raw: PreservedTargetInput): Promise<{ existed: boolean; detail: string }> {
      return mapFailure(async () => {
        const i = parseOrThrow(PreservedTargetInputSchema, raw, 'preserve input');
        return preserveTarget(targetOf(sites.get(i.site), i.side, i.asset), i.key);
      });
    },

    /** Compensation of a restore onto a live side: remove restore leftovers and put the previous data back. Idempotent. */
    async putBackTarget(raw: PutBackInput): Promise<{ detail: string }> {
      return mapFailure(async () => {
        const i = parseOrThrow(PutBackInputSchema, raw, 'put-back input');
        const detail = await putBackTarget(targetOf(sites.get(i.site), i.side, i.asset), i.key, i.restorePrefix, i.existed);
        Context.current().log.info('target put back', { site: i.site, side: i.side, asset: i.asset, detail });
        return { detail };
      });
    },

    /** After a successful run: drop the kept-aside previous data. */
    async discardPreserved(raw: PreservedTargetInput): Promise<void> {
      const i = parseOrThrow(PreservedTargetInputSchema, raw, 'discard input');
      await discardPreserved(targetOf(sites.get(i.site), i.side, i.asset), i.key);
    },

    /** Remove a drill's copy of an asset and any restore leftovers next to it (before and after every drill). */
    async cleanDrill(raw: DrillCleanupInput): Promise<{ detail: string }> {
      return mapFailure(async () => {
        const i = parseOrThrow(DrillCleanupInputSchema, raw, 'drill cleanup input');
        return { detail: await cleanDrillTarget(sites.get(i.site), i.asset, i.restorePrefix) };
      });
    },

    /** Health of a side (or the drill copy) serving the chosen snapshots; drills also compare the restored files' hashes. */
    async verifySide(raw: VerifySideInput): Promise<HealthSummary & { attempt: number }> {
      return mapFailure(async () => {
        const signal = Context.current().cancellationSignal;
        const i = parseOrThrow(VerifySideInputSchema, raw, 'verify input');
        const site = sites.get(i.site);
        const files: string[] = [];
        if (i.side === 'drill') {
          // The drill copy must hold the snapshot's files the live checks would expect.
          const refs = new Map<string, { asset: string; path: string }>();
          for (const c of [...site.standby.health, ...site.trafficChecks, ...(site.drill?.health ?? [])]) {
            if (c.bodyEqualsSha256Of) refs.set(`${c.bodyEqualsSha256Of.asset}/${c.bodyEqualsSha256Of.path}`, c.bodyEqualsSha256Of);
          }
          const fromRepo = snapshotFileResolver(repo, i.snapshots, []);
          for (const [key, ref] of refs) {
            const want = await fromRepo.sha256Of(ref);
            const got = await sha256File(`${targetOf(site, 'drill', ref.asset)}/${ref.path}`);
            if (want !== got)
              throw ApplicationFailure.create({
                message: `drill copy of ${key}: SHA-256 ${got.slice(0, 12)} differs from the snapshot's ${want.slice(0, 12)}`,
                type: FailureType.HealthCheckFailed,
                nonRetryable: true,
              });
            files.push(key);
          }
        }
        const checks = i.side === 'drill' ? (site.drill?.health ?? []) : site[i.side].health;
        const r = await runChecks(`${i.side} of ${site.name}`, checks, site, i.side, i.snapshots, signal);
        return { ...healthSummary(r, files), attempt: attempt() };
      });
    },

    /** Move traffic to a side (idempotent: already there is a no-op). */
    async switchTraffic(raw: SwitchInput): Promise<SwitchSummary & { attempt: number }> {
      return mapFailure(async () => {
        const i = parseOrThrow(SwitchInputSchema, raw, 'switch input');
        const r = await switcherOf(sites.get(i.site)).switchTo(i.to);
        await traffic.write(i.site, r.side, Context.current().info.workflowExecution?.workflowId ?? 'unknown', r.at);
        return { side: r.side, previous: r.previous, changed: r.changed, at: r.at, durationMs: r.durationMs, detail: r.detail, attempt: attempt() };
      });
    },

    /** Through the traffic entry point: the switcher reports `expect` and the trafficChecks pass. */
    async checkTraffic(raw: TrafficCheckInput): Promise<HealthSummary & { attempt: number }> {
      return mapFailure(async () => {
        const signal = Context.current().cancellationSignal;
        const i = parseOrThrow(TrafficCheckInputSchema, raw, 'traffic check input');
        const site = sites.get(i.site);
        const on = await switcherOf(site).current();
        if (on !== i.expect && on !== 'unknown') {
          throw ApplicationFailure.create({
            message: `site ${site.name}: the switcher reports traffic on the ${on}, expected the ${i.expect}`,
            type: FailureType.HealthCheckFailed,
            nonRetryable: true,
          });
        }
        const r = await runChecks(`traffic path of ${site.name}`, site.trafficChecks, site, i.expect, i.snapshots, signal);
        return { ...healthSummary(r), attempt: attempt() };
      });
    },

    /** Store the report under reports/failover/<id>.json (overwritten as the run progresses) and the per-site pointers. */
    async writeReport(raw: WriteReportInput): Promise<{ key: string }> {
      return mapFailure(async () => {
        const report = redactDeep(parseOrThrow(WriteReportInputSchema, raw, 'report').report);
        const key = await reports.write(report);
        const { site, mode } = report.incident;
        if (report.outcome !== 'running') {
          const figures = {
            event: 'dr.failover_finished',
            site,
            mode,
            reportId: report.id,
            outcome: report.outcome,
            rtoMs: report.rtoMs,
            rpoMs: report.rpoMs,
            objectives: report.objectives,
            met: report.met,
          };
          deps.metrics?.failoverFinished({
            site,
            mode,
            outcome: report.outcome,
            rtoMs: report.rtoMs,
            rpoMs: report.rpoMs,
            objectives: report.objectives,
            at: Date.now(),
          });
          log.info(figures, summarise(report));
          if (report.warnings.length) {
            log.warn({ ...figures, event: 'dr.objective_missed', warnings: report.warnings }, `site ${site}: ${report.warnings.join('; ')}`);
            if (report.met.rto === false || report.met.rpo === false) await notifyObjectivesMissed(plan, report, log);
          }
        }
        return { key };
      });
    },

    /** A report by id, or the newest (successful) one of a site. null when there is none. */
    async loadReport(raw: ReportLookup): Promise<FailoverReport | null> {
      return mapFailure(async () => {
        const q = parseOrThrow(ReportLookupSchema, raw, 'report lookup');
        if (q.id) return reports.byId(q.id);
        return reports.newest(q.site!, q.mode ? [q.mode] : FailoverModeSchema.options, Boolean(q.successful));
      });
    },

    /** DR readiness of every site: traffic side, last drill and failover, newest snapshot per asset. */
    async drStatus(raw?: StatusInput): Promise<SiteReadiness[]> {
      return mapFailure(async () => {
        parseOrThrow(StatusInputSchema, raw ?? {}, 'status input');
        const all = await repo.listSnapshots();
        const now = Date.now();
        const out: SiteReadiness[] = [];
        for (const name of sites.names()) {
          let site: Site;
          try {
            site = sites.get(name);
          } catch (e) {
            out.push({ site: name, error: (e as Error).message, snapshots: [] });
            continue;
          }
          const trafficOn = () =>
            switcherOf(site)
              .current()
              .catch(() => 'unknown' as const)
              .then(async (reported) => (await traffic.resolve(name, reported)).side);
          out.push(await siteReadiness(site, { reports, trafficOn, snapshots: all, now }));
        }
        // sites with only a prediction section: no failover readiness to measure, but a row all the same
        for (const entry of plan.sites) {
          if (typeof entry.name === 'string' && entry.prediction !== undefined && !isFailoverSite(entry))
            out.push({ site: entry.name, predictionOnly: true, snapshots: [] });
        }
        return out;
      });
    },
  };
  // every activity heartbeats on a timer while it runs (src/worker/keep-alive-interceptor.ts)
  for (const k of Object.keys(activities) as (keyof typeof activities)[]) {
    const fn = activities[k] as (raw: unknown) => Promise<unknown>;
    (activities as Record<string, unknown>)[k] = (raw: unknown) => cancelledAsCancelled(() => fn(raw));
  }
  return activities;
}

export type FailoverActivities = ReturnType<typeof createFailoverActivities>;
