/**
 * The prediction loop's pure steps, for activities to call (collect -> preprocess -> score ->
 * decide). Everything going in and out is plain JSON, so a workflow can keep the
 * `PredictorState` in its variables and carry it through continue-as-new.
 *
 *   const model = loadModel(text);                       // trained artefact (train.ts)
 *   let state = initialPredictorState(model);
 *   // every loop, with samples collected since the last call (prometheus.ts, log-counter.ts, pushes):
 *   const r = scoreBatch(model, state, { 'disk_used{host="a"}': samples, ... }, { until: now });
 *   state = r.state;                                      // carry on
 *   if (r.assessment.level !== 'ok') ...                  // warn / act, with r.assessment.reasons
 */
import { z } from 'zod';
import { combinerConfigSchema, mergeAssessments } from './detectors/combiner';
import type { CombinerConfigInput, RiskAssessment } from './detectors/combiner';
import { cursorSchema } from './model';
import type { Cursor, PredictModel } from './model';
import { SeriesScorer, seriesScorerStateSchema } from './detectors/scorer';
import { cleanSamples } from './series';
import type { CleanReport, Sample } from './series';
import type { Forecast } from './detectors/trend-config';

export const predictorStateSchema = z
  .object({
    version: z.literal(1),
    series: z.record(z.string(), z.object({ scorer: seriesScorerStateSchema, cursor: cursorSchema }).strict()),
  })
  .strict();
export type PredictorState = z.infer<typeof predictorStateSchema>;

/** The state right after training (every series warm). */
export function initialPredictorState(model: PredictModel): PredictorState {
  const series: PredictorState['series'] = {};
  for (const [name, s] of Object.entries(model.series)) series[name] = { scorer: s.state, cursor: s.cursor };
  return { version: 1, series };
}

export interface PreprocessOptions {
  readonly stepMs: number;
  readonly maxFillSteps: number;
  /** Only buckets that end at or before this time are emitted (complete buckets). */
  readonly until: number;
}

export interface PreprocessResult {
  /** One sample per step from cursor.nextT; v is NaN for a gap longer than maxFillSteps. */
  readonly samples: Sample[];
  readonly cursor: Cursor;
  /** Samples in the incomplete bucket at the end: give them again next time (Prometheus re-queries do). */
  readonly pending: Sample[];
  /** Samples older than the cursor (already emitted buckets), ignored. */
  readonly late: number;
  /** Empty buckets forward-filled. */
  readonly filled: number;
  /** Empty buckets left missing (NaN). */
  readonly missing: number;
  readonly clean: CleanReport;
}

/**
 * Cleans and resamples new raw samples of one series, continuing from its cursor: bucket means
 * on a fixed step, forward fill for up to maxFillSteps empty buckets (from the last
 * observation, even one from an earlier batch), then NaN (missing).
 */
export function preprocess(raw: readonly Sample[], cursor: Cursor, opts: PreprocessOptions): PreprocessResult {
  const { samples: clean, report } = cleanSamples(raw);
  const step = opts.stepMs;
  let nextT = cursor.nextT;
  if (nextT === null) {
    if (clean.length === 0) return { samples: [], cursor, pending: [], late: 0, filled: 0, missing: 0, clean: report };
    nextT = Math.floor(clean[0]!.t / step) * step;
  }
  const endBucket = Math.floor((opts.until - nextT) / step); // number of complete buckets
  const out: Sample[] = [];
  const pending: Sample[] = [];
  let late = 0;
  let filled = 0;
  let missing = 0;
  let lastValue = cursor.lastValue;
  let lastObservedT = cursor.lastObservedT;
  let i = 0;
  for (; i < clean.length && clean[i]!.t < nextT; i++) late++;
  for (let k = 0; k < endBucket; k++) {
    const b0 = nextT + k * step;
    const b1 = b0 + step;
    let sum = 0;
    let cnt = 0;
    for (; i < clean.length && clean[i]!.t < b1; i++) {
      sum += clean[i]!.v;
      cnt++;
    }
    if (cnt > 0) {
      lastValue = sum / cnt;
      lastObservedT = b0;
      out.push({ t: b0, v: lastValue });
    } else if (lastValue !== null && lastObservedT !== null && (b0 - lastObservedT) / step <= opts.maxFillSteps) {
      out.push({ t: b0, v: lastValue });
      filled++;
    } else {
      out.push({ t: b0, v: NaN });
      missing++;
    }
  }
  for (; i < clean.length; i++) pending.push(clean[i]!);
  const newNext = nextT + Math.max(0, endBucket) * step;
  return { samples: out, cursor: { nextT: newNext, lastValue, lastObservedT }, pending, late, filled, missing, clean: report };
}

export interface SeriesOutcome {
  /** Risk of the last point scored in this batch (0 when none). */
  readonly risk: number;
  /** Highest risk over the batch. */
  readonly maxRisk: number;
  readonly points: number;
  readonly missing: number;
  readonly pending: Sample[];
  readonly forecast?: { etaMs: number | null; confidence: number; level: number; slopePerHour: number };
}

export interface ScoreBatchResult {
  readonly state: PredictorState;
  /** Combined risk over every series, with reasons (from each series' highest-risk point). */
  readonly assessment: RiskAssessment;
  readonly series: Record<string, SeriesOutcome>;
  /** Series in the batch that the model does not know (ignored). */
  readonly unknownSeries: string[];
}

export interface ScoreBatchOptions {
  /** Current time (the workflow's clock): only complete buckets before it are scored. */
  readonly until: number;
  readonly combiner?: CombinerConfigInput;
}

function forecastView(f: Forecast): SeriesOutcome['forecast'] {
  return { etaMs: Number.isFinite(f.etaMs) ? f.etaMs : null, confidence: f.confidence, level: f.level, slopePerHour: f.slopePerHour };
}

/**
 * Preprocesses and scores one batch of raw samples per series, returning the new state and one
 * combined assessment. Series of the model absent from the batch still advance (their buckets
 * become gaps). Pure: same inputs, same outputs.
 */
export function scoreBatch(
  model: PredictModel,
  state: PredictorState,
  batch: Readonly<Record<string, readonly Sample[]>>,
  opts: ScoreBatchOptions,
): ScoreBatchResult {
  const st = predictorStateSchema.parse(state);
  const comb = combinerConfigSchema.parse(opts.combiner ?? {});
  const next: PredictorState = { version: 1, series: {} };
  const outcomes: Record<string, SeriesOutcome> = {};
  const parts: RiskAssessment[] = [];
  for (const [name, sm] of Object.entries(model.series)) {
    const prev = st.series[name] ?? { scorer: sm.state, cursor: sm.cursor };
    const scorer = SeriesScorer.restore(sm.scorer, prev.scorer);
    const pre = preprocess(batch[name] ?? [], prev.cursor, { stepMs: model.stepMs, maxFillSteps: model.maxFillSteps, until: opts.until });
    let maxRisk = 0;
    let best: RiskAssessment | null = null;
    let missing = 0;
    let risk = 0;
    for (const s of pre.samples) {
      if (!Number.isFinite(s.v)) missing++;
      risk = scorer.update(s);
      if (risk > maxRisk || best === null) {
        maxRisk = Math.max(maxRisk, risk);
        best = scorer.assessment(name, comb);
      }
    }
    if (best) parts.push(best);
    const f = scorer.forecast();
    outcomes[name] = {
      risk: pre.samples.length ? risk : 0,
      maxRisk,
      points: pre.samples.length,
      missing,
      pending: pre.pending,
      ...(f ? { forecast: forecastView(f) } : {}),
    };
    next.series[name] = { scorer: scorer.state(), cursor: pre.cursor };
  }
  const unknownSeries = Object.keys(batch).filter((k) => !(k in model.series));
  return { state: next, assessment: mergeAssessments(parts, comb), series: outcomes, unknownSeries };
}
