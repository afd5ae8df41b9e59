import { z } from 'zod';

/**
 * The failover report: what happened, step by step, and the recovery figures.
 *
 * This file imports nothing but zod and does no I/O, no clocks, no randomness: workflow code can
 * build and finalise a report deterministically (pass times in; in a workflow `new Date()` is
 * Temporal's deterministic clock).
 *
 *   RPO = incident time - time of the snapshot restored   (data-loss window; 0 if the snapshot is newer)
 *   RTO = time traffic is healthy on the standby - incident time
 */

const IsoTimeSchema = z.string().datetime({ offset: true });

/** failback: traffic moves back from the standby to the recovered primary. */
export const FailoverModeSchema = z.enum(['planned', 'unplanned', 'drill', 'failback']);
export type FailoverMode = z.infer<typeof FailoverModeSchema>;

export const IncidentSchema = z
  .object({
    id: z.string().min(1),
    site: z.string().min(1),
    mode: FailoverModeSchema,
    reason: z.string(),
    /** Who opened it: "cli", "ui", "alertmanager", "prediction", "schedule"... */
    source: z.string().min(1),
    /** When the failover was opened. */
    openedAt: IsoTimeSchema,
    /** When the failure began, if known and earlier (e.g. Alertmanager startsAt). RTO/RPO count from here. */
    occurredAt: IsoTimeSchema.optional(),
  })
  .strict();
export type Incident = z.infer<typeof IncidentSchema>;

export const StepStatusSchema = z.enum(['running', 'ok', 'failed', 'compensated', 'skipped']);
export type StepStatus = z.infer<typeof StepStatusSchema>;

export const StepSchema = z
  .object({
    name: z.string().min(1),
    startedAt: IsoTimeSchema,
    endedAt: IsoTimeSchema.optional(),
    status: StepStatusSchema,
    attempts: z.number().int().nonnegative(),
    error: z.string().optional(),
    /** Short result, e.g. "snapshot 3f2a1c restored, 2.1 GiB" or "reload ok in 12 ms". */
    detail: z.string().optional(),
  })
  .strict();
export type Step = z.infer<typeof StepSchema>;

export const CompensationSchema = z
  .object({
    name: z.string().min(1),
    status: z.enum(['ok', 'failed', 'skipped']),
    error: z.string().optional(),
    startedAt: IsoTimeSchema.optional(),
    endedAt: IsoTimeSchema.optional(),
  })
  .strict();
export type Compensation = z.infer<typeof CompensationSchema>;

export const SnapshotRefSchema = z
  .object({
    id: z.string().min(1),
    time: IsoTimeSchema,
    asset: z.string().optional(),
  })
  .strict();
export type SnapshotRef = z.infer<typeof SnapshotRefSchema>;

export const ReportObjectivesSchema = z
  .object({
    rtoSeconds: z.number().positive(),
    rpoSeconds: z.number().positive(),
  })
  .strict();
export type ReportObjectives = z.infer<typeof ReportObjectivesSchema>;

export const OutcomeSchema = z.enum(['running', 'succeeded', 'compensated', 'aborted', 'failed']);
/**
 * running: not finished. succeeded: every step ok (a drill: cleaned up too).
 * compensated: a step failed, every compensation ran. aborted: approval refused or timed out,
 * compensations ran. failed: a compensation failed too; a human must look.
 */
export type Outcome = z.infer<typeof OutcomeSchema>;

export const FailoverReportSchema = z
  .object({
    /** Report id: the key under reports/failover/ in the repository (incident.id). */
    id: z.string().min(1).optional(),
    /** The run that produced it. */
    workflowId: z.string().optional(),
    runId: z.string().optional(),
    incident: IncidentSchema,
    steps: z.array(StepSchema),
    compensations: z.array(CompensationSchema),
    /** The snapshot that bounds the data loss (the oldest one restored), null before one is chosen. */
    snapshot: SnapshotRefSchema.nullable(),
    /** Every snapshot restored (one per asset). */
    snapshots: z.array(SnapshotRefSchema).default([]),
    /** When traffic (or, in a drill, the drill copy) was first healthy on the standby. */
    healthyAt: IsoTimeSchema.optional(),
    finishedAt: IsoTimeSchema.optional(),
    rpoMs: z.number().nullable(),
    rtoMs: z.number().nullable(),
    objectives: ReportObjectivesSchema,
    met: z.object({ rpo: z.boolean().nullable(), rto: z.boolean().nullable() }).strict(),
    outcome: OutcomeSchema,
    /** Objectives missed and other things an operator should read (see objectiveWarnings). */
    warnings: z.array(z.string()).default([]),
  })
  .strict();
export type FailoverReport = z.infer<typeof FailoverReportSchema>;

export type TimeInput = string | number | Date;

function ms(t: TimeInput): number {
  const v = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(v)) throw new RangeError(`not a time: ${String(t)}`);
  return v;
}

export interface RtoRpoInput {
  /** When the failure began (incident.occurredAt ?? incident.openedAt). */
  incidentAt: TimeInput;
  /** Time of the snapshot restored; absent = not known yet. */
  snapshotTime?: TimeInput | null;
  /** When traffic was healthy on the standby; absent = not (yet) healthy. */
  healthyAt?: TimeInput | null;
  objectives: ReportObjectives;
}

export interface RtoRpo {
  rpoMs: number | null;
  rtoMs: number | null;
  rpoMet: boolean | null;
  rtoMet: boolean | null;
}

/**
 * RPO = incident - snapshot time, floored at 0 (a snapshot taken after the incident, e.g. the final
 * one of a planned failover after fencing, loses nothing). RTO = healthy - incident, floored at 0.
 * Objectives are met when the figure is <= the objective; null when the figure is unknown.
 */
export function computeRtoRpo(i: RtoRpoInput): RtoRpo {
  const incident = ms(i.incidentAt);
  const rpoMs = i.snapshotTime === undefined || i.snapshotTime === null ? null : Math.max(0, incident - ms(i.snapshotTime));
  const rtoMs = i.healthyAt === undefined || i.healthyAt === null ? null : Math.max(0, ms(i.healthyAt) - incident);
  return {
    rpoMs,
    rtoMs,
    rpoMet: rpoMs === null ? null : rpoMs <= i.objectives.rpoSeconds * 1000,
    rtoMet: rtoMs === null ? null : rtoMs <= i.objectives.rtoSeconds * 1000,
  };
}

export function incidentTime(incident: Incident): string {
  return incident.occurredAt ?? incident.openedAt;
}

/** A fresh report for an incident, outcome "running". */
export function newReport(incident: Incident, objectives: ReportObjectives): FailoverReport {
  return {
    incident,
    steps: [],
    compensations: [],
    snapshot: null,
    snapshots: [],
    rpoMs: null,
    rtoMs: null,
    objectives,
    met: { rpo: null, rto: null },
    outcome: 'running',
    warnings: [],
  };
}

/** The oldest of the restored snapshots: it bounds the data loss. */
export function oldestSnapshot(snapshots: readonly SnapshotRef[]): SnapshotRef | null {
  if (snapshots.length === 0) return null;
  return snapshots.reduce((a, b) => (ms(b.time) < ms(a.time) ? b : a));
}

/** Recompute snapshot, RPO, RTO and the objectives from the report's facts (returns a copy). */
export function withFigures(
  report: FailoverReport,
  patch: Partial<Pick<FailoverReport, 'healthyAt' | 'finishedAt' | 'outcome' | 'snapshots'>> = {},
): FailoverReport {
  const r: FailoverReport = { ...report, ...patch };
  if (r.snapshots.length) r.snapshot = oldestSnapshot(r.snapshots);
  const f = computeRtoRpo({ incidentAt: incidentTime(r.incident), snapshotTime: r.snapshot?.time, healthyAt: r.healthyAt, objectives: r.objectives });
  return { ...r, rpoMs: f.rpoMs, rtoMs: f.rtoMs, met: { rpo: f.rpoMet, rto: f.rtoMet } };
}

/** "850ms", "38.2s", "4m12s", "2h05m", "3d04h". */
export function formatDuration(msValue: number): string {
  const v = Math.max(0, Math.round(msValue));
  if (v < 1000) return `${v}ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)}s`;
  const s = Math.floor(v / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

function figure(label: string, value: number | null, objectiveSeconds: number, met: boolean | null): string {
  if (value === null) return `${label} n/a`;
  return `${label} ${formatDuration(value)} ${met ? '<=' : '>'} ${formatDuration(objectiveSeconds * 1000)}${met ? '' : ' MISSED'}`;
}

/**
 * One line for the Temporal UI (workflow summary / memo) and logs, e.g.
 * "drill eu-inference: succeeded; snapshot 3f2a1c9d; RPO 4m12s <= 1h00m, RTO 38.2s <= 5m00s; 9/9 steps ok"
 */
export function summarise(report: FailoverReport): string {
  const { incident } = report;
  const parts: string[] = [`${incident.mode} ${incident.site}: ${report.outcome}`];
  const failed = report.steps.find((s) => s.status === 'failed');
  if (failed) parts[0] += ` at ${failed.name}${failed.error ? ` (${oneLine(failed.error, 80)})` : ''}`;
  if (report.snapshot) parts.push(`snapshot ${report.snapshot.id.slice(0, 12)}`);
  parts.push(
    `${figure('RPO', report.rpoMs, report.objectives.rpoSeconds, report.met.rpo)}, ${figure('RTO', report.rtoMs, report.objectives.rtoSeconds, report.met.rto)}`,
  );
  const ok = report.steps.filter((s) => s.status === 'ok').length;
  let steps = `${ok}/${report.steps.length} steps ok`;
  if (report.compensations.length) {
    const cf = report.compensations.filter((c) => c.status === 'failed').length;
    steps += `, ${report.compensations.length} compensation(s)${cf ? ` (${cf} FAILED)` : ''}`;
  }
  parts.push(steps);
  return parts.join('; ');
}

function oneLine(s: string, n: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

/** "RTO 6m12s > objective 5m00s" for every objective the report's figures miss. */
export function objectiveWarnings(report: FailoverReport): string[] {
  const out: string[] = [];
  if (report.met.rto === false && report.rtoMs !== null) {
    out.push(`RTO ${formatDuration(report.rtoMs)} > objective ${formatDuration(report.objectives.rtoSeconds * 1000)}`);
  }
  if (report.met.rpo === false && report.rpoMs !== null) {
    out.push(`RPO ${formatDuration(report.rpoMs)} > objective ${formatDuration(report.objectives.rpoSeconds * 1000)}`);
  }
  return out;
}

/** Step name -> duration in ms (finished steps only; a step run twice sums). */
export function stepDurations(report: FailoverReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of report.steps) {
    if (!s.endedAt) continue;
    out[s.name] = (out[s.name] ?? 0) + Math.max(0, ms(s.endedAt) - ms(s.startedAt));
  }
  return out;
}
