import { iso, type Carry } from './prediction-carry';
import { combineRisk, dutyFraction } from './prediction-decide';
import type { DecisionPolicy } from '../contracts/prediction-inputs';
import type { PredictionStatus } from '../contracts/prediction-messages';

export interface RunIdentity {
  site: string;
  workflowId: string;
  runId: string;
  /** Iterations of this run (the carry counts all runs). */
  runIteration: number;
  /** The effective policy. */
  policy: DecisionPolicy;
}

/** The answer of the status query: what the loop carries, as the CLI and bridge show it. */
export function statusOf(c: Carry, run: RunIdentity): PredictionStatus {
  const now = Date.now();
  const combined = combineRisk({ risk: c.modelRisk, reasons: c.modelReasons }, c.alerts);
  return {
    site: run.site,
    workflowId: run.workflowId,
    runId: run.runId,
    paused: c.paused,
    ...(c.pausedReason ? { pausedReason: c.pausedReason } : {}),
    iteration: c.iteration,
    runIteration: run.runIteration,
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
    policy: run.policy,
  };
}
