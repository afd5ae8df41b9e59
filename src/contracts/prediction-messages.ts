import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ActiveAlert, DutySummary, LoopReason, NotificationKind } from './prediction-types';
import type { AlertSignal, DecisionPolicy, Level, PolicyPatchInput, PushMetrics } from './prediction-inputs';

/**
 * Messages of predictionWorkflow (id "predict-<site>"), shared by the workflow, the bridge and
 * the CLI.
 *
 *   signal pushMetrics {samples: [{series, t?, v}]}          pushed metrics (bridge POST /metrics/push)
 *   signal alert       {alerts: [{status, fingerprint, ...}]} monitoring alerts (bridge Alertmanager webhook)
 *   signal pause       {reason?}    signal resume {}    signal retrain {reason?}
 *   query  status                                            -> PredictionStatus
 *   update setPolicy   {thresholds?: {warn?, high?, critical?}, hysteresis?, cooldownMs?, ...} -> DecisionPolicy
 */

export interface WarningRecord {
  at: string;
  kind: NotificationKind;
  level: Level;
  from: Level;
  risk: number;
  /** Top reasons, as text. */
  reasons: string[];
  /** Sinks that failed, if any ("webhook: HTTP 500"). */
  failed: string[];
}

export interface ActionRecord {
  at: string;
  kind: 'preemptive-backup' | 'failover' | 'failover-recommendation' | 'training';
  /** Workflow started or joined (none for a recommendation). */
  workflowId?: string;
  outcome: 'started' | 'joined' | 'recorded' | 'failed';
  detail: string;
}

export interface PredictionStatus {
  site: string;
  workflowId: string;
  runId: string;
  paused: boolean;
  pausedReason?: string;
  /** Iterations in total (across continue-as-new) and in this run. */
  iteration: number;
  runIteration: number;
  runs: number;
  /** Combined risk (model and monitoring alerts) and its level after hysteresis. */
  risk: number;
  modelRisk: number;
  level: Level;
  levelSince: string | null;
  reasons: LoopReason[];
  alerts: ActiveAlert[];
  alertStats: { received: number; duplicates: number };
  recentWarnings: WarningRecord[];
  warningsSent: number;
  suppressed: number;
  recentActions: ActionRecord[];
  modelVersion: string | null;
  unknownSeries: string[];
  forecasts: { series: string; etaMs: number | null; confidence: number }[];
  duty: DutySummary;
  lastIterationAt: string | null;
  lastIterationMs: number | null;
  lastError: string | null;
  errors: number;
  pushedPending: number;
  pushedRejected: number;
  stateBytes: number;
  /** Where the predictor state is kept when too large to travel inline (null: inline). */
  stateRef: string | null;
  policy: DecisionPolicy;
}

export const pushMetricsSignal = defineSignal<[PushMetrics]>('pushMetrics');
export const alertSignal = defineSignal<[AlertSignal]>('alert');
export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal<[{ reason?: string }?]>('resume');
export const retrainSignal = defineSignal<[{ reason?: string }?]>('retrain');
export const predictionStatusQuery = defineQuery<PredictionStatus>('status');
export const setPolicyUpdate = defineUpdate<DecisionPolicy, [PolicyPatchInput]>('setPolicy');
