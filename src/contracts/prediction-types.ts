import type { Level } from './prediction-inputs';

/**
 * Result and payload types of predictionWorkflow and trainingWorkflow that the status query,
 * the faces and the loop's decisions (workflows/prediction-decide.ts) share.
 */

export type NotificationKind = 'raise' | 'lower' | 'resolved' | 'repeat';

/** A firing monitoring alert as the loop keeps it. */
export interface ActiveAlert {
  fingerprint: string;
  name: string;
  severity: string;
  /** The alert's own `dr_risk` label, when it has a valid one. */
  explicitRisk: number | null;
  risk: number;
  startsAt: string;
  summary: string;
  receivedAt: number;
}

/** Why the risk is what it is: a detector's finding on a series, or a firing alert. */
export interface LoopReason {
  /** Series or alert name. */
  source: string;
  detector: string;
  score: number;
  message: string;
  etaMs?: number;
}

/** Duty cycles over the window: P(B) backing up (null: unknown), P(W) computing predictions. */
export interface DutySummary {
  windowMs: number;
  backup: number | null;
  prediction: number;
}

/** Result of predictionWorkflow (when it stops after `maxIterations`). */
export interface PredictionRunSummary {
  site: string;
  iterations: number;
  level: Level;
  risk: number;
  modelVersion: string | null;
  duty: DutySummary;
}

/** What training stored: the trainPredictionModel activity's result. */
export interface TrainOutput {
  version: string;
  key: string;
  bytes: number;
  series: string[];
  points: number;
  sources: { prometheusSeries: number; csvFiles: number };
  pruned: string[];
}

/** Result of trainingWorkflow. */
export type TrainingResult = TrainOutput & { summary: string };
