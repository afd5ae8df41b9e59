import { summarise, type FailoverReport } from '../common/failover-report';
import { newestFinished, type FailoverReportStore } from './report-store';
import type { SideName, Site } from './site-schema';
import type { ReadinessRun, SiteReadiness } from '../contracts/failover-types';

/** What readiness is measured from: the site's reports, where traffic is, and the repository's snapshots (oldest first). */
export interface ReadinessSources {
  reports: FailoverReportStore;
  trafficOn: () => Promise<SideName | 'unknown'>;
  snapshots: readonly { asset: string; id: string; time: string }[];
  now: number;
}

function readinessRun(r: FailoverReport | null): ReadinessRun | undefined {
  if (!r) return undefined;
  return {
    id: r.id ?? r.incident.id,
    mode: r.incident.mode,
    outcome: r.outcome,
    ...(r.finishedAt ? { finishedAt: r.finishedAt } : {}),
    rtoMs: r.rtoMs,
    rpoMs: r.rpoMs,
    met: r.met,
    summary: summarise(r),
  };
}

/** One site's DR readiness: traffic side, last drill and failover, newest snapshot per asset against the RPO. A malformed report reads as none. */
export async function siteReadiness(site: Site, src: ReadinessSources): Promise<SiteReadiness> {
  const name = site.name;
  const [trafficOn, lastDrill, lastOkDrill, planned, unplanned] = await Promise.all([
    src.trafficOn(),
    src.reports.last(name, 'drill', false, true),
    src.reports.last(name, 'drill', true, true),
    src.reports.last(name, 'planned', false, true),
    src.reports.last(name, 'unplanned', false, true),
  ]);
  const runs = {
    lastDrill: readinessRun(lastDrill),
    lastSuccessfulDrill: readinessRun(lastOkDrill),
    lastFailover: readinessRun(newestFinished([planned, unplanned])),
  };
  const snapshots = site.standby.restore.map((r) => {
    const newest = src.snapshots.filter((s) => s.asset === r.asset).at(-1);
    if (!newest) return { asset: r.asset };
    const ageMs = Math.max(0, src.now - Date.parse(newest.time));
    return { asset: r.asset, id: newest.id, time: newest.time, ageMs, rpoMet: ageMs <= site.objectives.rpoSeconds * 1000 };
  });
  const sched = site.drill?.schedule;
  return {
    site: name,
    trafficOn,
    objectives: site.objectives,
    ...(runs.lastDrill ? { lastDrill: runs.lastDrill } : {}),
    ...(runs.lastSuccessfulDrill ? { lastSuccessfulDrill: runs.lastSuccessfulDrill } : {}),
    ...(runs.lastFailover ? { lastFailover: runs.lastFailover } : {}),
    snapshots,
    ...(sched ? { drillSchedule: sched.every ? `every ${sched.every}` : `cron ${sched.cron}` } : {}),
  };
}
