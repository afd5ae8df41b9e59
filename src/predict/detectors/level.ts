/**
 * Robust level detector: a family of EWMA mean/variance statistics, each calibrated against its
 * own recent record.
 *
 * Statistics (all causal, computed before the sample updates the state):
 * - level-shift: |short EWMA - long robust EWMA| / long robust scale (spikes and level shifts);
 * - volatility-up / volatility-down: log ratio of short to long EWMA of |x_t - x_{t-1}| (noise
 *   bursts, flat-lining);
 * - range: distance e beyond the lowest/highest value of the last `memory` points, as a fraction
 *   of that range; scored 1 - 1/(1 + rangeGain * e) directly (it is zero most of the time, so it
 *   has no record of its own).
 * Calibration: each statistic is divided by the largest value it took over the last `memory`
 * points (`RecordTracker`); score = 1 - 1/ratio above the record, 0 below. A statistic only scores
 * after `warmup` valid values and its record starts after 30 % of them. The detector returns
 * the highest statistic score; `explain()` names it.
 */
import { z } from 'zod';
import type { Explanation, StreamingDetector, ValueView } from './detector';
import { IDENTITY_VIEW, MIN_COUNT, RECORD_START, fmt } from './detector';
import type { Sample } from '../series';
import {
  ExtremaTracker,
  RecordTracker,
  RobustEwma,
  SpanTracker,
  extremaTrackerStateSchema,
  flooredRatio,
  ratioScore,
  recordTrackerStateSchema,
  robustEwmaStateSchema,
  spanTrackerStateSchema,
} from './stats';

export const levelConfigSchema = z
  .object({
    /** Smoothing of the short-term mean (0.2: about 5 points). */
    shortAlpha: z.number().gt(0).lte(1).default(0.2),
    /** Smoothing of the long-term robust mean and scale (0.005: about 200 points). */
    longAlpha: z.number().gt(0).lte(1).default(0.005),
    /** Short and long smoothing of |x_t - x_{t-1}| for the volatility statistics. */
    volShortAlpha: z.number().gt(0).lte(1).default(0.05),
    volLongAlpha: z.number().gt(0).lte(1).default(0.003),
    /** Points before any score (statistics learn meanwhile). */
    warmup: z.number().int().nonnegative().default(600),
    /** Horizon, in points, of the records the statistics are compared with. */
    memory: z.number().int().positive().default(8640),
    /** Weight of the range excursion: score = 1 - 1/(1 + rangeGain * excursion / range). */
    rangeGain: z.number().nonnegative().default(10),
    /** A range excursion only counts beyond this many long robust scale units (noise makes small new records). */
    rangeMargin: z.number().nonnegative().default(0),
    /** A statistic joins its record this many points late (so a build-up is compared with the record before it). */
    recordDelay: z.number().int().nonnegative().default(0),
    /** Residual clip, in robust scale units, once warmed up. */
    clip: z.number().positive().default(4),
  })
  .strict();
export type LevelConfig = z.infer<typeof levelConfigSchema>;
export type LevelConfigInput = z.input<typeof levelConfigSchema>;

const featureSchema = z.object({ count: z.number().int().nonnegative(), record: recordTrackerStateSchema }).strict();

export const levelStateSchema = z
  .object({
    n: z.number().int().nonnegative(),
    short: robustEwmaStateSchema,
    long: robustEwmaStateSchema,
    volShort: z.number(),
    volLong: z.number(),
    nDiff: z.number().int().nonnegative(),
    prev: z.number().nullable(),
    extrema: extremaTrackerStateSchema,
    /** Absent in states saved before it existed: restored from the extrema of the memory. */
    span: spanTrackerStateSchema.nullable().optional(),
    lastScore: z.number(),
    shift: featureSchema,
    volUp: featureSchema,
    volDown: featureSchema,
  })
  .strict();
export type LevelState = z.infer<typeof levelStateSchema>;

const LONG_WARM = 30;
const VOL_WARM = 30;
const RANGE_WARM = 10;

class Feature {
  count = 0;
  readonly record: RecordTracker;
  constructor(memory: number, delay: number) {
    this.record = new RecordTracker(memory, 8, delay);
  }

  /** Score of value x (0 before warm-up), then learns x. */
  observe(x: number, warmup: number): number {
    const c = this.count++;
    const s = c >= warmup && c >= MIN_COUNT ? ratioScore(this.record.ratio(x)) : 0;
    if (c >= RECORD_START * warmup) this.record.push(x);
    return s;
  }
}

type LevelFeature = 'level-shift' | 'volatility-up' | 'volatility-down' | 'range';

export class LevelDetector implements StreamingDetector<LevelState> {
  readonly kind = 'level';
  readonly config: LevelConfig;
  private n = 0;
  private readonly short: RobustEwma;
  private readonly long: RobustEwma;
  private volShort = 0;
  private volLong = 0;
  private nDiff = 0;
  private prev = NaN;
  private readonly extrema: ExtremaTracker;
  private readonly span = new SpanTracker();
  private prevLo = NaN;
  private prevHi = NaN;
  private lastScore = 0;
  private readonly shift: Feature;
  private readonly volUp: Feature;
  private readonly volDown: Feature;
  // Explanation of the last update (plain fields: no allocation per sample).
  private lastFeature: LevelFeature | null = null;
  private lastObserved = 0;
  private lastStat = 0;
  private lastRecord = 0;

  constructor(config: LevelConfigInput = {}) {
    this.config = levelConfigSchema.parse(config);
    this.short = new RobustEwma(this.config.shortAlpha, this.config.shortAlpha, this.config.clip, LONG_WARM);
    this.long = new RobustEwma(this.config.longAlpha, this.config.longAlpha, this.config.clip, LONG_WARM);
    this.shift = new Feature(this.config.memory, this.config.recordDelay);
    this.volUp = new Feature(this.config.memory, this.config.recordDelay);
    this.volDown = new Feature(this.config.memory, this.config.recordDelay);
    this.extrema = new ExtremaTracker(this.config.memory);
  }

  update(sample: Sample): number {
    const x = sample.v;
    if (!Number.isFinite(x)) return this.lastScore;
    const cfg = this.config;
    const warm = cfg.warmup;
    let best = 0;
    let feature: LevelFeature | null = null;
    let stat = 0;
    let record = 0;
    this.span.push(x);
    const floor = this.span.floor();

    // level shift: short mean against the long robust mean, in long robust scale units
    this.short.update(x, floor);
    const long = this.long;
    if (long.n >= LONG_WARM) {
      const f = flooredRatio(Math.abs(this.short.m - long.m), long.s, floor);
      const rec = this.shift.record.max;
      const s = this.shift.observe(f, warm);
      if (s > best) {
        best = s;
        feature = 'level-shift';
        stat = f;
        record = rec;
      }
    }
    long.update(x, floor);

    // volatility: short vs long mean absolute step
    if (this.nDiff > 0 || !Number.isNaN(this.prev)) {
      const d = Math.abs(x - this.prev);
      const inv = 1 / (this.nDiff + 1);
      this.volShort += (cfg.volShortAlpha > inv ? cfg.volShortAlpha : inv) * (d - this.volShort);
      this.volLong += (cfg.volLongAlpha > inv ? cfg.volLongAlpha : inv) * (d - this.volLong);
      this.nDiff++;
      if (this.nDiff >= VOL_WARM) {
        const eps = floor + 0.05 * long.s;
        const lr = eps > 0 ? Math.log((this.volShort + eps) / (this.volLong + eps)) : 0;
        const up = lr > 0 ? lr : 0;
        const down = lr < 0 ? -lr : 0;
        const recUp = this.volUp.record.max;
        const recDown = this.volDown.record.max;
        const su = this.volUp.observe(up, warm);
        const sd = this.volDown.observe(down, warm);
        if (su > best) {
          best = su;
          feature = 'volatility-up';
          stat = Math.exp(up);
          record = Math.exp(recUp);
        }
        if (sd > best) {
          best = sd;
          feature = 'volatility-down';
          stat = Math.exp(-down);
          record = Math.exp(-recDown);
        }
      }
    }
    this.prev = x;

    // range excursion beyond the extremes seen over the memory
    const ex = this.extrema;
    if (this.n >= RANGE_WARM && this.n >= warm && cfg.rangeGain > 0) {
      const margin = cfg.rangeMargin * long.s;
      const r = ex.hi - ex.lo;
      const e = Math.max(0, flooredRatio(x - ex.hi - margin, r, floor), flooredRatio(ex.lo - x - margin, r, floor));
      const s = ratioScore(1 + cfg.rangeGain * e);
      if (s > best) {
        best = s;
        feature = 'range';
        stat = e;
        record = r;
      }
    }
    this.prevLo = ex.lo;
    this.prevHi = ex.hi;
    ex.push(x);

    this.n++;
    if (this.n <= warm) best = 0;
    this.lastScore = best;
    this.lastFeature = best > 0 ? feature : null;
    this.lastObserved = x;
    this.lastStat = stat;
    this.lastRecord = record;
    return best;
  }

  explain(view: ValueView = IDENTITY_VIEW): Explanation | null {
    if (!this.lastFeature) return null;
    const L = (v: number): number => view.level(v);
    const D = (d: number): number => view.spread(d);
    const x = L(this.lastObserved);
    const m = L(this.long.m);
    const base = { detector: this.kind, feature: this.lastFeature, score: this.lastScore, observed: x, expected: m };
    switch (this.lastFeature) {
      case 'level-shift':
        return {
          ...base,
          observed: L(this.short.m),
          message: `level shift: recent mean ${fmt(L(this.short.m))} vs usual ${fmt(m)} (±${fmt(D(this.long.s))}), ${fmt(this.lastStat)} scale units vs a record of ${fmt(this.lastRecord)}`,
        };
      case 'volatility-up':
        return {
          ...base,
          message: `volatility up: step size ${fmt(D(this.volShort))} vs usual ${fmt(D(this.volLong))} (x${fmt(this.lastStat)}, record x${fmt(this.lastRecord)})`,
        };
      case 'volatility-down':
        return { ...base, message: `volatility down (flat-lining?): step size ${fmt(D(this.volShort))} vs usual ${fmt(D(this.volLong))}` };
      case 'range': {
        const above = this.lastObserved > this.prevHi;
        return {
          ...base,
          expected: L(above ? this.prevHi : this.prevLo),
          message: `value ${fmt(x)} beyond the range seen so far [${fmt(L(this.prevLo))}, ${fmt(L(this.prevHi))}]`,
        };
      }
    }
  }

  state(): LevelState {
    const f = (x: Feature) => ({ count: x.count, record: x.record.state() });
    return {
      n: this.n,
      short: this.short.state(),
      long: this.long.state(),
      volShort: this.volShort,
      volLong: this.volLong,
      nDiff: this.nDiff,
      prev: Number.isNaN(this.prev) ? null : this.prev,
      extrema: this.extrema.state(),
      span: this.span.state(),
      lastScore: this.lastScore,
      shift: f(this.shift),
      volUp: f(this.volUp),
      volDown: f(this.volDown),
    };
  }

  static restore(config: LevelConfigInput, state: unknown): LevelDetector {
    const st = levelStateSchema.parse(state);
    const d = new LevelDetector(config);
    d.n = st.n;
    d.short.restore(st.short);
    d.long.restore(st.long);
    d.volShort = st.volShort;
    d.volLong = st.volLong;
    d.nDiff = st.nDiff;
    d.prev = st.prev ?? NaN;
    d.extrema.restore(st.extrema);
    const ex = d.extrema;
    d.span.restore(st.span !== undefined ? st.span : ex.hi >= ex.lo ? { lo: ex.lo, hi: ex.hi } : null);
    d.lastScore = st.lastScore;
    for (const [feat, s] of [
      [d.shift, st.shift],
      [d.volUp, st.volUp],
      [d.volDown, st.volDown],
    ] as const) {
      feat.count = s.count;
      feat.record.restore(s.record);
    }
    return d;
  }
}
