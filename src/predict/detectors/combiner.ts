/**
 * Combiner: many detector scores -> one calibrated risk in [0, 1] with reasons.
 *
 * Calibration: every detector has an alarm threshold on its raw score (chosen on labelled data,
 * see evaluate.ts, or set by training); `calibrate` maps it piecewise-linearly so that the
 * threshold lands on 0.5, the warning level, for every detector and series alike.
 * Risk = the highest calibrated score (a max, not a noisy-OR: one hundred series each slightly
 * odd are not a disaster); the reasons are the explanations of every score above
 * `reasonLevel`, highest first.
 */
import { z } from 'zod';
import type { Explanation } from './detector';

/** A detector's explanation on one series, its score calibrated (0.5 = warning level). */
export interface Reason extends Explanation {
  readonly series: string;
}

export type RiskLevel = 'ok' | 'warn' | 'act';

export interface RiskAssessment {
  readonly risk: number;
  readonly level: RiskLevel;
  readonly reasons: Reason[];
}

export const combinerConfigSchema = z
  .object({
    /** Risk at or above which to warn. */
    warnLevel: z.number().min(0).max(1).default(0.5),
    /** Risk at or above which to act (e.g. start a pre-emptive backup). */
    actLevel: z.number().min(0).max(1).default(0.8),
    /** Scores below this are not listed as reasons. */
    reasonLevel: z.number().min(0).max(1).default(0.25),
    maxReasons: z.number().int().positive().default(5),
  })
  .strict();
export type CombinerConfig = z.infer<typeof combinerConfigSchema>;
export type CombinerConfigInput = z.input<typeof combinerConfigSchema>;

/** Maps a raw score so that `threshold` -> 0.5 (piecewise linear, monotone, 0 -> 0, 1 -> 1). */
export function calibrate(score: number, threshold: number): number {
  if (!(score > 0)) return 0;
  if (score >= 1) return 1;
  const th = Math.min(Math.max(threshold, 1e-9), 1 - 1e-9);
  return score <= th ? (0.5 * score) / th : 0.5 + (0.5 * (score - th)) / (1 - th);
}

/** Level for a risk. */
export function decide(risk: number, cfg: CombinerConfigInput = {}): RiskLevel {
  const c = combinerConfigSchema.parse(cfg);
  return risk >= c.actLevel ? 'act' : risk >= c.warnLevel ? 'warn' : 'ok';
}

/** One detector's contribution. */
export interface DetectorOutput {
  readonly series: string;
  /** Calibrated score. */
  readonly score: number;
  readonly explanation: Explanation | null;
}

/** Builds a reason from an explanation with its calibrated score. */
export function toReason(series: string, score: number, e: Explanation): Reason {
  const r: Reason = {
    series,
    detector: e.detector,
    feature: e.feature,
    score,
    observed: e.observed,
    expected: e.expected,
    message: e.message,
  };
  return {
    ...r,
    ...(e.forecast !== undefined && Number.isFinite(e.forecast) ? { forecast: e.forecast } : {}),
    ...(e.etaMs !== undefined && Number.isFinite(e.etaMs) ? { etaMs: e.etaMs } : {}),
  };
}

/** Combines detector outputs into one risk with reasons. */
export function combine(outputs: readonly DetectorOutput[], cfg: CombinerConfigInput = {}): RiskAssessment {
  const c = combinerConfigSchema.parse(cfg);
  let risk = 0;
  const reasons: Reason[] = [];
  for (const o of outputs) {
    const s = Number.isFinite(o.score) ? Math.min(1, Math.max(0, o.score)) : 0;
    if (s > risk) risk = s;
    if (o.explanation && s >= c.reasonLevel) reasons.push(toReason(o.series, s, o.explanation));
  }
  reasons.sort((a, b) => b.score - a.score || a.series.localeCompare(b.series));
  return { risk, level: risk >= c.actLevel ? 'act' : risk >= c.warnLevel ? 'warn' : 'ok', reasons: reasons.slice(0, c.maxReasons) };
}

/** Merges several assessments (e.g. one per series) into one. */
export function mergeAssessments(parts: readonly RiskAssessment[], cfg: CombinerConfigInput = {}): RiskAssessment {
  const c = combinerConfigSchema.parse(cfg);
  const risk = parts.reduce((m, p) => Math.max(m, p.risk), 0);
  const reasons = parts
    .flatMap((p) => p.reasons)
    .sort((a, b) => b.score - a.score || a.series.localeCompare(b.series))
    .slice(0, c.maxReasons);
  return { risk, level: risk >= c.actLevel ? 'act' : risk >= c.warnLevel ? 'warn' : 'ok', reasons };
}
