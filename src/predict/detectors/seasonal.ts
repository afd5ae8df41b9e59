/**
 * Seasonal-profile residual detector.
 *
 * The expected value at phase p (= sample index mod period) is an exponentially weighted
 * profile of the past values at that phase; the residual e = x - profile[p] is standardised by
 * a robust EWMA of the residuals and the standardised residual is calibrated against its own
 * recent record (like the level detector). The season length is configured, or detected by
 * autocorrelation on the first `autoWindow` points (they are buffered, then replayed through
 * the profile, so no sample is lost); no clear season means the detector stays silent.
 * Samples are assumed evenly spaced (resample first); a missing value (NaN) still advances the
 * phase.
 */
import { z } from 'zod';
import type { Explanation, StreamingDetector, ValueView } from './detector';
import { IDENTITY_VIEW, MIN_COUNT, RECORD_START, fmt } from './detector';
import type { Sample } from '../series';
import {
  RecordTracker,
  RobustEwma,
  SpanTracker,
  detectPeriod,
  flooredRatio,
  ratioScore,
  recordTrackerStateSchema,
  robustEwmaStateSchema,
  spanTrackerStateSchema,
} from './stats';

export const seasonalConfigSchema = z
  .object({
    /** Season length in points; 0 = detect it from the first `autoWindow` points. */
    period: z.number().int().nonnegative().default(0),
    /** Points buffered for detection (default: `warmup`). */
    autoWindow: z.number().int().positive().optional(),
    minPeriod: z.number().int().min(2).default(4),
    /** Longest season considered (default: half the detection window). */
    maxPeriod: z.number().int().positive().optional(),
    /** Autocorrelation the season's peak must exceed. */
    minCorrelation: z.number().min(0).max(1).default(0.3),
    /** Lags before the autocorrelation first falls below this are not seasons (null: no such rule). */
    decorrelation: z.number().min(-1).max(1).nullable().default(0),
    /** Profile smoothing per visit of a phase (0.1: about the last 10 seasons). */
    profileAlpha: z.number().gt(0).lte(1).default(0.1),
    /** Smoothing of the residual location and scale. */
    residualAlpha: z.number().gt(0).lte(1).default(0.01),
    /** Smoothing of the residual for the sustained-deviation statistic (0: off). */
    smoothAlpha: z.number().min(0).lte(1).default(0.05),
    warmup: z.number().int().nonnegative().default(600),
    memory: z.number().int().positive().default(8640),
    /** A statistic joins its record this many points late (see RecordTracker). */
    recordDelay: z.number().int().nonnegative().default(0),
    /**
     * The same for the sustained statistic, which builds up over about 1/smoothAlpha points: with
     * 0 it only ever beats its own previous step. Training sets 60 (a missing daily peak is found);
     * the untrained default is 0, which NAB's costs prefer (about 2 points, see evaluate.ts).
     */
    smoothRecordDelay: z.number().int().nonnegative().default(0),
    clip: z.number().positive().default(4),
  })
  .strict();
export type SeasonalConfig = z.infer<typeof seasonalConfigSchema>;
export type SeasonalConfigInput = z.input<typeof seasonalConfigSchema>;

export const seasonalStateSchema = z
  .object({
    n: z.number().int().nonnegative(),
    period: z.number().int().nonnegative(),
    /** Values waiting for period detection (empty once decided). */
    buffer: z.array(z.number().nullable()),
    decided: z.boolean(),
    profile: z.array(z.number()),
    visits: z.array(z.number().int().nonnegative()),
    resid: robustEwmaStateSchema,
    count: z.number().int().nonnegative(),
    record: recordTrackerStateSchema,
    smooth: z.number(),
    slow: z.number(),
    smoothRecord: recordTrackerStateSchema,
    /** Absent in states saved before it existed: restored from the profile's extremes. */
    span: spanTrackerStateSchema.nullable().optional(),
    lastScore: z.number(),
  })
  .strict();
export type SeasonalState = z.infer<typeof seasonalStateSchema>;

const RESID_WARM = 10;
const SLOW_ALPHA = 0.001;

export class SeasonalDetector implements StreamingDetector<SeasonalState> {
  readonly kind = 'seasonal';
  readonly config: SeasonalConfig;
  private n = 0;
  private period = 0;
  private buffer: number[] = [];
  private decided = false;
  private profile = new Float64Array(0);
  private visits = new Int32Array(0);
  private readonly resid: RobustEwma;
  private count = 0;
  private readonly record: RecordTracker;
  /** EWMA of the residual (sustained deviations), judged against the residual scale shrunk by sqrt(a / (2 - a)). */
  private smooth = 0;
  /** Slow mean of the residual: the reference of the sustained statistic (the profile's bias). */
  private slow = 0;
  private readonly smoothRecord: RecordTracker;
  private readonly span = new SpanTracker();
  private lastFeature: 'seasonal-residual' | 'seasonal-sustained' = 'seasonal-residual';
  private lastScore = 0;
  private lastObserved = 0;
  private lastExpected = 0;
  private lastStat = 0;

  constructor(config: SeasonalConfigInput = {}) {
    this.config = seasonalConfigSchema.parse(config);
    this.resid = new RobustEwma(this.config.residualAlpha, this.config.residualAlpha, this.config.clip, 30);
    this.record = new RecordTracker(this.config.memory, 8, this.config.recordDelay);
    this.smoothRecord = new RecordTracker(this.config.memory, 8, this.config.smoothRecordDelay);
    if (this.config.period > 0) this.setPeriod(this.config.period);
  }

  /** Detected or configured season length (0: none, or not decided yet). */
  get seasonLength(): number {
    return this.period;
  }

  private setPeriod(p: number): void {
    this.period = p;
    this.decided = true;
    this.profile = new Float64Array(p);
    this.visits = new Int32Array(p);
  }

  update(sample: Sample): number {
    if (!this.decided) {
      this.buffer.push(sample.v);
      const window = this.config.autoWindow ?? Math.max(this.config.warmup, 2 * this.config.minPeriod + 2);
      if (this.buffer.length < window) {
        this.n++;
        return 0;
      }
      const buf = this.buffer;
      const p = detectPeriod(
        buf,
        this.config.minPeriod,
        this.config.maxPeriod ?? Math.floor(window / 2),
        this.config.minCorrelation,
        this.config.decorrelation,
      );
      this.buffer = [];
      this.setPeriod(p);
      this.n -= buf.length - 1;
      for (let i = 0; i < buf.length; i++) this.step(buf[i]!);
      return this.lastScore;
    }
    return this.step(sample.v);
  }

  private step(x: number): number {
    const n = this.n++;
    const p = this.period;
    if (p === 0 || !Number.isFinite(x)) return this.lastScore;
    const ph = n % p;
    this.span.push(x);
    const floor = this.span.floor();
    let score = 0;
    const visits = this.visits[ph]!;
    if (visits >= 1) {
      const expected = this.profile[ph]!;
      const e = x - expected;
      const r = this.resid;
      const sa = this.config.smoothAlpha;
      if (r.n >= RESID_WARM) {
        const f = flooredRatio(Math.abs(e - r.m), r.s, floor);
        const c = this.count++;
        const warm = this.config.warmup;
        const scoring = c >= warm && c >= MIN_COUNT;
        if (scoring) score = ratioScore(this.record.ratio(f));
        this.lastFeature = 'seasonal-residual';
        this.lastStat = this.record.max > 0 ? f / this.record.max : 0;
        if (sa > 0) {
          this.smooth += sa * (e - this.smooth);
          const f2 = flooredRatio(Math.abs(this.smooth - this.slow), r.s, floor) / Math.sqrt(sa / (2 - sa));
          this.slow += SLOW_ALPHA * (e - this.slow);
          if (scoring) {
            const s2 = ratioScore(this.smoothRecord.ratio(f2));
            if (s2 > score) {
              score = s2;
              this.lastFeature = 'seasonal-sustained';
              this.lastStat = f2 / this.smoothRecord.max;
            }
          }
          if (c >= RECORD_START * warm) this.smoothRecord.push(f2);
        }
        if (c >= RECORD_START * warm) this.record.push(f);
        this.lastExpected = expected + r.m;
      } else if (sa > 0) {
        this.smooth += (r.n === 0 ? 1 : sa) * (e - this.smooth);
        this.slow += (1 / (r.n + 1)) * (e - this.slow);
      }
      r.update(e, floor);
      const inv = 1 / (visits + 1);
      this.profile[ph] = expected + (this.config.profileAlpha > inv ? this.config.profileAlpha : inv) * e;
    } else {
      this.profile[ph] = x;
    }
    this.visits[ph] = visits + 1;
    if (n < this.config.warmup) score = 0;
    this.lastScore = score;
    this.lastObserved = x;
    return score;
  }

  explain(view: ValueView = IDENTITY_VIEW): Explanation | null {
    if (!(this.lastScore > 0)) return null;
    const observed = view.level(this.lastObserved);
    const expected = view.level(this.lastExpected);
    return {
      detector: this.kind,
      feature: this.lastFeature,
      score: this.lastScore,
      observed,
      expected,
      message:
        this.lastFeature === 'seasonal-residual'
          ? `value ${fmt(observed)} where the season (${this.period} points) expects ${fmt(expected)} (±${fmt(view.spread(this.resid.s))}), ${fmt(this.lastStat)}x the largest seasonal deviation seen`
          : `sustained deviation from the season (${this.period} points): recent values ${fmt(view.spread(this.smooth))} off the profile, ${fmt(this.lastStat)}x the largest sustained deviation seen`,
    };
  }

  state(): SeasonalState {
    return {
      n: this.n,
      period: this.period,
      buffer: this.buffer.map((v) => (Number.isFinite(v) ? v : null)),
      decided: this.decided,
      profile: Array.from(this.profile),
      visits: Array.from(this.visits),
      resid: this.resid.state(),
      count: this.count,
      record: this.record.state(),
      smooth: this.smooth,
      slow: this.slow,
      smoothRecord: this.smoothRecord.state(),
      span: this.span.state(),
      lastScore: this.lastScore,
    };
  }

  static restore(config: SeasonalConfigInput, state: unknown): SeasonalDetector {
    const st = seasonalStateSchema.parse(state);
    if (st.profile.length !== st.period || st.visits.length !== st.period) {
      throw new RangeError('seasonal state: profile length does not match the period');
    }
    const d = new SeasonalDetector({ ...config, period: 0 });
    d.n = st.n;
    d.decided = st.decided;
    d.period = st.period;
    d.buffer = st.buffer.map((v) => v ?? NaN);
    d.profile = Float64Array.from(st.profile);
    d.visits = Int32Array.from(st.visits);
    d.resid.restore(st.resid);
    d.count = st.count;
    d.record.restore(st.record);
    d.smooth = st.smooth;
    d.slow = st.slow;
    d.smoothRecord.restore(st.smoothRecord);
    const seen = st.profile.filter((_, i) => st.visits[i]! > 0);
    d.span.restore(st.span !== undefined ? st.span : seen.length ? { lo: Math.min(...seen), hi: Math.max(...seen) } : null);
    d.lastScore = st.lastScore;
    return d;
  }
}
