import { formatDuration, summarise, type FailoverReport } from '../common/failover-report';
import type { SiteReadiness } from '../contracts/failover-types';
import { table } from './output';

const dur = (a: string, b?: string) => (b ? formatDuration(Date.parse(b) - Date.parse(a)) : '-');

/** A report for people: summary, steps with durations, compensations, figures, warnings. */
export function renderReport(r: FailoverReport): string {
  const lines = [summarise(r), ''];
  lines.push(`report ${r.id ?? r.incident.id}  run ${r.workflowId ?? '-'}/${r.runId ?? '-'}`);
  lines.push(
    `incident: ${r.incident.mode} of ${r.incident.site} by ${r.incident.source}${r.incident.reason ? ` (${r.incident.reason})` : ''}, opened ${r.incident.openedAt}${r.incident.occurredAt ? `, occurred ${r.incident.occurredAt}` : ''}`,
  );
  if (r.snapshots.length) lines.push(`snapshots: ${r.snapshots.map((s) => `${s.asset ?? '?'} ${s.id.slice(0, 12)} (${s.time})`).join(', ')}`);
  lines.push(
    '',
    table([
      ['STEP', 'STATUS', 'TIME', 'DETAIL'],
      ...r.steps.map((s) => [s.name, s.status, dur(s.startedAt, s.endedAt), (s.error ?? s.detail ?? '').slice(0, 120)]),
    ]),
  );
  if (r.compensations.length) {
    lines.push(
      '',
      table([
        ['UNDONE', 'STATUS', 'TIME', 'ERROR'],
        ...r.compensations.map((c) => [c.name, c.status, c.startedAt ? dur(c.startedAt, c.endedAt) : '-', c.error ?? '']),
      ]),
    );
  }
  const fig = (v: number | null, obj: number, met: boolean | null) =>
    v === null ? 'n/a' : `${formatDuration(v)} (objective ${formatDuration(obj * 1000)}${met === false ? ', MISSED' : ''})`;
  lines.push('', `RTO ${fig(r.rtoMs, r.objectives.rtoSeconds, r.met.rto)}   RPO ${fig(r.rpoMs, r.objectives.rpoSeconds, r.met.rpo)}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

const age = (ms?: number) => (ms === undefined ? '-' : `${formatDuration(ms)} ago`);

/** `lepton-dr status`: one block per site. */
/** A site's prediction loop as `status` shows it: level and risk, or why there is none. */
export type LoopSummary = { level: string; risk: number; iteration: number; paused: boolean } | null;

export function renderReadiness(sites: SiteReadiness[], running: Record<string, string>, loops: Record<string, LoopSummary> = {}): string {
  if (sites.length === 0) return 'no sites in the plan';
  const loopText = (site: string) => {
    const l = loops[site];
    if (l === undefined) return undefined;
    return l ? `${l.level} (risk ${l.risk.toFixed(2)}, iteration ${l.iteration}${l.paused ? ', paused' : ''})` : 'not running';
  };
  return sites
    .map((s) => {
      if (s.error) return `${s.site}: INVALID: ${s.error}`;
      if (s.predictionOnly) {
        const rows = [
          ['failover', 'not configured (prediction only: no primary, standby or switcher)'],
          ['prediction loop', loopText(s.site) ?? 'unknown'],
        ];
        return `${s.site}: PREDICTION ONLY\n${table(rows.map(([k, v]) => [`  ${k}`, v]))}`;
      }
      const o = s.objectives!;
      const drill = s.lastSuccessfulDrill;
      const figure = (v: number | null | undefined, objS: number) =>
        v === null || v === undefined ? '-' : `${formatDuration(v)} / ${formatDuration(objS * 1000)}${v > objS * 1000 ? ' MISSED' : ''}`;
      const rows = [
        ['traffic on', s.trafficOn ?? 'unknown'],
        ['running', running[s.site] ?? '-'],
        ['last successful drill', drill ? `${drill.finishedAt ?? '?'} (${drill.id})` : 'never'],
        ['last drill', s.lastDrill ? `${s.lastDrill.outcome} ${s.lastDrill.finishedAt ?? ''}` : 'never'],
        ['measured RTO / objective', figure(drill?.rtoMs, o.rtoSeconds)],
        ['measured RPO / objective', figure(drill?.rpoMs, o.rpoSeconds)],
        ['last failover', s.lastFailover ? s.lastFailover.summary : 'never'],
        ['drill schedule', s.drillSchedule ?? 'none'],
        ...(loopText(s.site) ? [['prediction loop', loopText(s.site) as string]] : []),
        ...s.snapshots.map((n) => [
          `newest snapshot ${n.asset}`,
          n.id ? `${n.id.slice(0, 12)} ${age(n.ageMs)}${n.rpoMet === false ? ' (older than the RPO objective)' : ''}` : 'NONE',
        ]),
      ];
      const ready = Boolean(drill) && s.snapshots.every((n) => n.rpoMet) && drill?.met.rto !== false;
      return `${s.site}: ${ready ? 'READY' : 'NOT READY'}\n${table(rows.map(([k, v]) => [`  ${k}`, v]))}`;
    })
    .join('\n\n');
}
