/**
 * Training: fit normalisation statistics and detector parameters on a history window and warm
 * the detectors on it, giving a sealed, versioned model artefact (model.ts).
 *
 * Per series: clean + resample to the model step -> robust (median/MAD) or standard (mean/std)
 * normaliser -> season length by autocorrelation over the history (up to `maxPeriodMs`) ->
 * run the streaming scorer over the whole history, so the artefact carries warm detector state
 * (records, profiles, trend window) -> statistics, including the fraction of history points that
 * would have raised a warning (a sanity check of the calibration on presumably normal data).
 */
import { z } from 'zod';
import { parseOrThrow } from '../common/zod-errors';
import { combinerConfigSchema } from './detectors/combiner';
import { sealModel } from './model';
import type { PredictModel, SeriesModel } from './model';
import { preprocess } from './pipeline';
import { SeriesScorer, seriesScorerConfigSchema } from './detectors/scorer';
import type { SeriesScorerConfigInput } from './detectors/scorer';
import { fitNormaliser } from './series';
import type { Sample } from './series';
import { detectPeriod } from './detectors/stats';
import { trendConfigSchema } from './detectors/trend-config';

export const trainOptionsSchema = z
  .object({
    stepMs: z.number().positive(),
    maxFillSteps: z.number().int().nonnegative().default(3),
    normalisation: z.enum(['robust', 'standard']).default('robust'),
    /** Scorer settings for every series (warmup, memory, thresholds, refractory, ...). */
    scorer: seriesScorerConfigSchema.omit({ normaliser: true, trend: true }).partial().strict().default({}),
    /** Record delay of the seasonal detector's sustained-deviation statistic (see SeasonalDetector). */
    sustainedDelay: z.number().int().nonnegative().default(60),
    /** Per-series limits for the time-to-limit forecaster. */
    limits: z.record(z.string(), trendConfigSchema).default({}),
    /** Longest season searched for (default 7 days). */
    maxPeriodMs: z
      .number()
      .positive()
      .default(7 * 24 * 3600_000),
    minPeriodSteps: z.number().int().min(2).default(4),
    /** Autocorrelation a season must reach. */
    minCorrelation: z.number().min(0).max(1).default(0.3),
    /** A season's peak must come after the autocorrelation first falls below this. */
    decorrelation: z.number().min(-1).max(1).default(0),
    /**
     * Per-series alarm thresholds from the history (assumed normal), so that normal data like it
     * raises about `falseWarnings` warnings per `horizonMs` (see calibrateThreshold); at least
     * minThreshold and the default, at most maxThreshold. false keeps the defaults (NAB's
     * operating point, tuned for NAB's costs where a false positive costs 0.11 of a missed window).
     */
    calibration: z
      .union([
        z.literal(false),
        z
          .object({
            /** Expected false warnings tolerated per `horizonMs` of normal data. */
            falseWarnings: z.number().positive().default(0.1),
            horizonMs: z
              .number()
              .positive()
              .default(30 * 24 * 3600_000),
            /** A trained model never warns for a record beaten by less than 1/(1 - minThreshold) (0.3: by 43 %). */
            minThreshold: z.number().gt(0).lt(1).default(0.3),
            maxThreshold: z.number().gt(0).lt(1).default(0.6),
          })
          .strict(),
      ])
      .default({}),
    /** End of the training window (default: the last sample); only complete buckets before it are used. */
    until: z.number().finite().optional(),
    /** Artefact timestamp (ISO); default now. Pass one for byte-identical artefacts. */
    createdAt: z.string().datetime().optional(),
  })
  .strict();
export type TrainOptions = z.input<typeof trainOptionsSchema>;

/**
 * Alarm threshold for a detector from its raw scores on normal data. A raw score r is 1 - 1/ratio
 * where ratio is how far a statistic beat its record, so u = -ln(1 - r) = ln(ratio) > 0 marks a
 * record-beating point. With k such points among n, their u modelled as exponential (mean m,
 * a peaks-over-threshold fit), P(u > x) per point = (k / n) exp(-x / m); the threshold is the
 * x expected to be exceeded `falseWarnings` times in `horizonPoints` points:
 *   x = m * ln(k * horizonPoints / (n * falseWarnings)).
 * Fewer than 5 exceedances: twice the largest u seen. Result within [floor, maxThreshold].
 */
export function calibrateThreshold(
  raw: readonly number[],
  floor: number,
  budget: { falseWarnings: number; horizonPoints: number; maxThreshold: number },
): number {
  const n = raw.length;
  const u = raw.filter((r) => r > 0 && r < 1).map((r) => -Math.log(1 - r));
  let x = 0;
  if (u.length >= 5) {
    const m = u.reduce((a, b) => a + b, 0) / u.length;
    x = m * Math.log(Math.max(1, (u.length * budget.horizonPoints) / (n * budget.falseWarnings)));
  } else if (u.length > 0) {
    x = 2 * Math.max(...u);
  }
  const r = 1 - Math.exp(-x);
  return Math.min(budget.maxThreshold, Math.max(floor, r));
}

const CALENDAR_MS = [3600_000, 24 * 3600_000, 7 * 24 * 3600_000];

/**
 * Infrastructure seasons are calendar ones: a detected period within 3 % of an hour, a day or a
 * week (in steps) snaps to it, since a noisy autocorrelation peak is broad and a period a few
 * steps off drifts through the profile day after day.
 */
export function snapPeriod(period: number, stepMs: number): number {
  if (period <= 0) return 0;
  for (const c of CALENDAR_MS) {
    const steps = c / stepMs;
    if (Number.isInteger(steps) && Math.abs(period - steps) <= 0.03 * steps) return steps;
  }
  return period;
}

/** Trains one series (exported for tests and for incremental retraining). */
export function trainSeries(samples: readonly Sample[], options: TrainOptions, limitKey?: string): SeriesModel {
  const o = parseOrThrow(trainOptionsSchema, options, 'train options');
  let until = o.until;
  if (until === undefined) {
    let last = -Infinity;
    for (const s of samples) if (Number.isFinite(s.t) && Number.isFinite(s.v) && s.t > last) last = s.t;
    until = Number.isFinite(last) ? (Math.floor(last / o.stepMs) + 1) * o.stepMs : 0;
  }
  const pre = preprocess(samples, { nextT: null, lastValue: null, lastObservedT: null }, { stepMs: o.stepMs, maxFillSteps: o.maxFillSteps, until });
  const values = pre.samples.map((s) => s.v).filter((v) => Number.isFinite(v));
  const normaliser = values.length ? fitNormaliser(values, o.normalisation) : { method: o.normalisation, center: 0, scale: 1 };
  const maxPeriod = Math.max(o.minPeriodSteps + 1, Math.floor(o.maxPeriodMs / o.stepMs));
  // autocorrelation over at most the last 4 longest seasons (keeps training O(history))
  const tail = values.slice(-4 * maxPeriod);
  const period =
    o.scorer.seasonal === false
      ? 0
      : detectPeriod(tail, o.minPeriodSteps, Math.min(maxPeriod, Math.floor(tail.length / 2) - 1), o.minCorrelation, o.decorrelation);
  const snapped = snapPeriod(period, o.stepMs);
  const limit = limitKey !== undefined ? o.limits[limitKey] : undefined;
  const base = o.scorer;
  const seasonal = base.seasonal === false || snapped === 0 ? false : { smoothRecordDelay: o.sustainedDelay, ...(base.seasonal ?? {}), period: snapped };
  const scorerInput: SeriesScorerConfigInput = { ...base, normaliser, seasonal, ...(limit ? { trend: limit } : {}) };
  let scorerConfig = seriesScorerConfigSchema.parse(scorerInput);
  if (o.calibration !== false) {
    const { falseWarnings, horizonMs, minThreshold, maxThreshold } = o.calibration;
    const probe = new SeriesScorer(scorerConfig);
    const levelRaw: number[] = [];
    const seasonalRaw: number[] = [];
    const from = scorerConfig.warmup;
    pre.samples.forEach((s, i) => {
      probe.update(s);
      if (i < from || !Number.isFinite(s.v)) return;
      levelRaw.push(probe.lastRaw.level);
      seasonalRaw.push(probe.lastRaw.seasonal);
    });
    const th = scorerConfig.thresholds;
    const budget = { falseWarnings, horizonPoints: horizonMs / o.stepMs, maxThreshold };
    scorerConfig = {
      ...scorerConfig,
      thresholds: {
        ...th,
        level: calibrateThreshold(levelRaw, Math.max(th.level, minThreshold), budget),
        seasonal: calibrateThreshold(seasonalRaw, Math.max(th.seasonal, minThreshold), budget),
      },
    };
  }
  const scorer = new SeriesScorer(scorerConfig);
  const warn = combinerConfigSchema.parse({}).warnLevel;
  let alarms = 0;
  let scored = 0;
  let missing = 0;
  pre.samples.forEach((s, i) => {
    if (!Number.isFinite(s.v)) missing++;
    const r = scorer.update(s);
    if (i >= scorerConfig.warmup && Number.isFinite(s.v)) {
      scored++;
      if (r >= warn) alarms++;
    }
  });
  return {
    scorer: scorerConfig,
    state: scorer.state(),
    cursor: pre.cursor,
    stats: {
      from: pre.samples.length ? pre.samples[0]!.t : null,
      to: pre.samples.length ? pre.samples[pre.samples.length - 1]!.t : null,
      points: pre.samples.length,
      missing,
      filled: pre.filled,
      period: snapped,
      alarmRate: scored ? alarms / scored : 0,
    },
  };
}

/** Trains every series of a history and seals the artefact. */
export function trainModel(history: Readonly<Record<string, readonly Sample[]>>, options: TrainOptions): PredictModel {
  const o = parseOrThrow(trainOptionsSchema, options, 'train options');
  const series: Record<string, SeriesModel> = {};
  for (const name of Object.keys(history).sort()) series[name] = trainSeries(history[name]!, options, name);
  return sealModel({
    kind: 'lepton-dr.predict-model',
    version: 1,
    createdAt: o.createdAt ?? new Date().toISOString(),
    stepMs: o.stepMs,
    maxFillSteps: o.maxFillSteps,
    series,
  });
}
