/**
 * SeriesScorer: the detectors of one series (level, seasonal and, when a limit is configured,
 * time-to-limit) combined into one calibrated risk per sample, with a refractory period for the
 * anomaly detectors: after an alarm (risk >= refractory.level) their next `refractory.points`
 * risks are multiplied by `refractory.factor`, so one incident is reported once rather than on
 * every sample (NAB, like an on-call engineer, counts the first alarm of an incident and charges
 * the repeats). The time-to-limit risk is never damped: it must escalate as the limit nears.
 * Right after the warm-up a confidence ramp damps anomaly risks a little (records resting on
 * little history are beaten too easily).
 *
 * Defaults (thresholds, ramp, refractory period) were chosen on the NAB subset in
 * ../shared/datasets/nab (see evaluate.ts): corpus-wide values, never per file. They are the
 * untrained operating point; train.ts calibrates stricter per-series thresholds on history.
 */
import { z } from 'zod';
import { calibrate, combinerConfigSchema, toReason } from './combiner';
import type { CombinerConfigInput, Reason, RiskAssessment } from './combiner';
import { LevelDetector, levelConfigSchema } from './level';
import { SeasonalDetector, seasonalConfigSchema } from './seasonal';
import { ArtDetector, artConfigSchema } from './art';
import { normaliserSchema } from '../series';
import type { Normaliser, Sample } from '../series';
import type { ValueView } from './detector';
import { TimeToLimitForecaster } from './trend';
import { trendConfigSchema } from './trend-config';
import type { Forecast } from './trend-config';

/**
 * Raw score of the level and seasonal detectors that maps to the warning level (0.5): NAB's
 * corpus-optimal operating point (a statistic beating its record by about 16 %).
 */
export const DEFAULT_ALARM_THRESHOLD = 0.14;

export const seriesScorerConfigSchema = z
  .object({
    /** Learnt in training: level and seasonal detectors see (v - center) / scale; the trend sees raw values. */
    normaliser: normaliserSchema.optional(),
    /** Points before any score; also the season-detection window. */
    warmup: z.number().int().nonnegative().default(600),
    /** Horizon of the records the statistics are calibrated against. */
    memory: z.number().int().positive().default(8640),
    level: levelConfigSchema.partial().omit({ warmup: true, memory: true }).strict().default({}),
    /** false: no seasonal detector. */
    seasonal: z.union([z.literal(false), seasonalConfigSchema.partial().omit({ warmup: true, memory: true }).strict()]).default({}),
    /** Adaptive-resonance pattern detector (art.ts); false: none (the default, see the README). */
    art: z.union([z.literal(false), artConfigSchema.partial().omit({ warmup: true }).strict()]).default(false),
    trend: trendConfigSchema.optional(),
    thresholds: z
      .object({
        level: z.number().gt(0).lt(1).default(DEFAULT_ALARM_THRESHOLD),
        seasonal: z.number().gt(0).lt(1).default(DEFAULT_ALARM_THRESHOLD),
        /** Raw pattern-novelty score at the warning level: a mismatch beyond the vigilance by the same 16 %. */
        art: z.number().gt(0).lt(1).default(DEFAULT_ALARM_THRESHOLD),
        /** The trend risk is already calibrated (0.5 = warn); this is its raw threshold. */
        trend: z.number().gt(0).lt(1).default(0.5),
      })
      .strict()
      .default({}),
    /**
     * Confidence ramp: right after the warm-up the records behind every score rest on little
     * history, so anomaly risks are multiplied by `start`, rising linearly to 1 over `points`
     * more points (default: one more warm-up length).
     */
    ramp: z
      .object({ start: z.number().min(0).max(1).default(0.8), points: z.number().int().nonnegative().optional() })
      .strict()
      .default({}),
    refractory: z
      .object({
        points: z.number().int().nonnegative().default(300),
        factor: z.number().min(0).max(1).default(0.8),
        level: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({}),
  })
  .strict();
export type SeriesScorerConfig = z.infer<typeof seriesScorerConfigSchema>;
export type SeriesScorerConfigInput = z.input<typeof seriesScorerConfigSchema>;

export const seriesScorerStateSchema = z
  .object({
    level: z.unknown(),
    seasonal: z.unknown().optional(),
    art: z.unknown().optional(),
    trend: z.unknown().optional(),
    sinceAlarm: z.number().int().nonnegative().nullable(),
    /** Finite samples seen (for the confidence ramp). */
    seen: z.number().int().nonnegative().default(0),
    lastRisk: z.number(),
  })
  .strict();
export type SeriesScorerState = z.infer<typeof seriesScorerStateSchema>;

export class SeriesScorer {
  readonly config: SeriesScorerConfig;
  readonly level: LevelDetector;
  readonly seasonal: SeasonalDetector | null;
  readonly art: ArtDetector | null;
  readonly trend: TimeToLimitForecaster | null;
  private sinceAlarm: number | null = null;
  private lastRisk = 0;
  private lastLevel = 0;
  private lastSeasonal = 0;
  private lastArt = 0;
  private lastTrend = 0;
  private seen = 0;
  /** Raw (uncalibrated) scores of the last sample, for training's threshold calibration. */
  readonly lastRaw = { level: 0, seasonal: 0, art: 0, trend: 0 };
  private readonly norm: Normaliser | null;
  private readonly view: ValueView | undefined;
  private readonly z: Sample = { t: 0, v: 0 };

  constructor(
    config: SeriesScorerConfigInput = {},
    parts?: { level: LevelDetector; seasonal: SeasonalDetector | null; art: ArtDetector | null; trend: TimeToLimitForecaster | null },
  ) {
    this.config = seriesScorerConfigSchema.parse(config);
    const c = this.config;
    this.level = parts?.level ?? new LevelDetector(this.levelConfig());
    this.seasonal = parts ? parts.seasonal : c.seasonal === false ? null : new SeasonalDetector(this.seasonalConfig()!);
    this.art = parts ? parts.art : c.art === false ? null : new ArtDetector(this.artConfig()!);
    this.trend = parts ? parts.trend : c.trend ? new TimeToLimitForecaster(c.trend) : null;
    this.norm = c.normaliser ?? null;
    const n = this.norm;
    this.view = n ? { level: (v) => v * n.scale + n.center, spread: (d) => d * n.scale } : undefined;
  }

  private levelConfig() {
    return { ...this.config.level, warmup: this.config.warmup, memory: this.config.memory };
  }

  private seasonalConfig() {
    const s = this.config.seasonal;
    return s === false ? null : { ...s, warmup: this.config.warmup, memory: this.config.memory };
  }

  private artConfig() {
    const a = this.config.art;
    return a === false ? null : { ...a, warmup: this.config.warmup };
  }

  /** Scores one sample: calibrated risk in [0, 1]. */
  update(sample: Sample): number {
    const th = this.config.thresholds;
    let zs = sample;
    if (this.norm) {
      zs = this.z;
      zs.t = sample.t;
      zs.v = (sample.v - this.norm.center) / this.norm.scale;
    }
    const raw = this.lastRaw;
    raw.level = this.level.update(zs);
    this.lastLevel = calibrate(raw.level, th.level);
    let risk = this.lastLevel;
    if (this.seasonal) {
      raw.seasonal = this.seasonal.update(zs);
      this.lastSeasonal = calibrate(raw.seasonal, th.seasonal);
      if (this.lastSeasonal > risk) risk = this.lastSeasonal;
    }
    if (this.art) {
      raw.art = this.art.update(zs);
      this.lastArt = calibrate(raw.art, th.art);
      if (this.lastArt > risk) risk = this.lastArt;
    }
    if (!Number.isFinite(sample.v)) {
      if (this.trend) this.lastTrend = calibrate(this.trend.update(sample), th.trend);
      return this.lastRisk;
    }
    // confidence ramp after the warm-up
    const seen = ++this.seen;
    const warm = this.config.warmup;
    const rampPoints = this.config.ramp.points ?? warm;
    if (seen <= warm + rampPoints && rampPoints > 0) {
      const start = this.config.ramp.start;
      risk *= start + (1 - start) * Math.max(0, (seen - warm) / rampPoints);
    }
    // refractory period for the anomaly detectors (not for the forecast, which must escalate)
    const r = this.config.refractory;
    if (this.sinceAlarm !== null && this.sinceAlarm < r.points) {
      risk *= r.factor;
      this.sinceAlarm++;
    } else if (risk >= r.level) {
      this.sinceAlarm = 1;
    } else if (this.sinceAlarm !== null) {
      this.sinceAlarm = null;
    }
    if (this.trend) {
      raw.trend = this.trend.update(sample);
      this.lastTrend = calibrate(raw.trend, th.trend);
      if (this.lastTrend > risk) risk = this.lastTrend;
    }
    this.lastRisk = risk;
    return risk;
  }

  /** The time-to-limit forecast of the last sample (null without a configured limit). */
  forecast(): Forecast | null {
    return this.trend ? this.trend.forecast() : null;
  }

  /** Reasons for the last risk (every detector at or above `reasonLevel`), highest first. */
  reasons(series: string, cfg: CombinerConfigInput = {}): Reason[] {
    const c = combinerConfigSchema.parse(cfg);
    const out: Reason[] = [];
    const add = (score: number, d: { explain(view?: ValueView): ReturnType<LevelDetector['explain']> } | null, view?: ValueView): void => {
      if (!d || score < c.reasonLevel) return;
      const e = d.explain(view);
      if (e) out.push(toReason(series, score, e));
    };
    add(this.lastLevel, this.level, this.view);
    add(this.lastSeasonal, this.seasonal, this.view);
    add(this.lastArt, this.art, this.view);
    add(this.lastTrend, this.trend);
    return out.sort((a, b) => b.score - a.score).slice(0, c.maxReasons);
  }

  /** Risk and reasons of the last sample. */
  assessment(series: string, cfg: CombinerConfigInput = {}): RiskAssessment {
    const c = combinerConfigSchema.parse(cfg);
    const risk = this.lastRisk;
    return { risk, level: risk >= c.actLevel ? 'act' : risk >= c.warnLevel ? 'warn' : 'ok', reasons: this.reasons(series, c) };
  }

  state(): SeriesScorerState {
    return {
      level: this.level.state(),
      ...(this.seasonal ? { seasonal: this.seasonal.state() } : {}),
      ...(this.art ? { art: this.art.state() } : {}),
      ...(this.trend ? { trend: this.trend.state() } : {}),
      sinceAlarm: this.sinceAlarm,
      seen: this.seen,
      lastRisk: this.lastRisk,
    };
  }

  static restore(config: SeriesScorerConfigInput, state: unknown): SeriesScorer {
    const st = seriesScorerStateSchema.parse(state);
    const probe = new SeriesScorer(config);
    const level = LevelDetector.restore(probe.levelConfig(), st.level);
    const sc = probe.seasonalConfig();
    const seasonal = sc ? (st.seasonal === undefined ? new SeasonalDetector(sc) : SeasonalDetector.restore(sc, st.seasonal)) : null;
    const ac = probe.artConfig();
    const art = ac ? (st.art === undefined ? new ArtDetector(ac) : ArtDetector.restore(ac, st.art)) : null;
    const tc = probe.config.trend;
    const trend = tc ? (st.trend === undefined ? new TimeToLimitForecaster(tc) : TimeToLimitForecaster.restore(tc, st.trend)) : null;
    const s = new SeriesScorer(config, { level, seasonal, art, trend });
    s.sinceAlarm = st.sinceAlarm;
    s.seen = st.seen;
    s.lastRisk = st.lastRisk;
    return s;
  }
}
