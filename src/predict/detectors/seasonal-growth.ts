/**
 * The seasonal side of a time-to-limit forecast: "tomorrow at this hour is today at this hour
 * plus a day's growth". The values of the last period are kept per phase bin (e.g. 48 half-hour
 * bins of a day); the growth per period is an exponentially weighted mean of x(t) - x(t - period)
 * (with its spread, for a significance). The forecast at t + dt is the bin of t + dt one period
 * earlier plus that growth, so a disk that fills a little more by day is expected to reach its
 * limit at a daily peak, and a daily cycle that does not grow is never extrapolated.
 */
import { z } from 'zod';

/** Period index of a bin never visited. */
const NONE = -1e15;
const visitSchema = z.object({ period: z.number().int(), sum: z.number(), n: z.number().int().nonnegative() }).strict();
export const seasonalGrowthStateSchema = z
  .object({
    cur: z.array(visitSchema),
    prev: z.array(z.object({ period: z.number().int(), mean: z.number() }).strict()),
    growth: z.number(),
    growthSq: z.number(),
    diffs: z.number().int().nonnegative(),
  })
  .strict();
export type SeasonalGrowthState = z.infer<typeof seasonalGrowthStateSchema>;

/**
 * Bins are kept as parallel typed arrays (the current period's visit and the previous one's
 * mean per bin), not objects: the forecast reads every bin on each sample of a limit.
 */
export class SeasonalGrowth {
  private readonly curPeriod: Float64Array;
  private readonly curSum: Float64Array;
  private readonly curN: Float64Array;
  private readonly prevPeriod: Float64Array;
  private readonly prevMean: Float64Array;
  private readonly integerPeriod: boolean;
  private growth = 0;
  private growthSq = 0;
  private diffs = 0;

  constructor(
    readonly periodMs: number,
    readonly bins: number,
    /** Diffs remembered by the growth mean (1/alpha). */
    private readonly memory: number,
  ) {
    this.curPeriod = new Float64Array(bins).fill(NONE);
    this.curSum = new Float64Array(bins);
    this.curN = new Float64Array(bins);
    this.prevPeriod = new Float64Array(bins).fill(NONE);
    this.prevMean = new Float64Array(bins);
    this.integerPeriod = Number.isInteger(periodMs) && periodMs > 0 && periodMs < 2 ** 52;
  }

  /**
   * Phase of t in [0, period). For integer times and an integer period below 2^52 the floor
   * division is exactly what the remainder gives (t / period cannot round across an integer
   * there) and several times faster than `%` on doubles, which this runs ~10 times per sample.
   */
  private phase(t: number, periods: number): number {
    const p = this.periodMs;
    if (this.integerPeriod && Number.isInteger(t) && Math.abs(t) < 2 ** 52) return t - periods * p;
    return ((t % p) + p) % p;
  }

  private bin(t: number, periods: number): number {
    return Math.min(this.bins - 1, Math.floor((this.phase(t, periods) / this.periodMs) * this.bins));
  }

  observe(t: number, v: number): void {
    const k = Math.floor(t / this.periodMs);
    const b = this.bin(t, k);
    if (this.curPeriod[b] !== k) {
      const n = this.curN[b]!;
      if (n > 0) {
        this.prevPeriod[b] = this.curPeriod[b]!;
        this.prevMean[b] = this.curSum[b]! / n;
      }
      this.curPeriod[b] = k;
      this.curSum[b] = 0;
      this.curN[b] = 0;
    }
    if (this.prevPeriod[b] === k - 1) {
      const d = v - this.prevMean[b]!;
      const a = Math.max(1 / ++this.diffs, 1 / this.memory);
      this.growth += a * (d - this.growth);
      this.growthSq += a * (d * d - this.growthSq);
    }
    this.curSum[b] += v;
    this.curN[b]++;
  }

  /** A level shift of `offset` (seen by the trend): the kept history moves with it, so the growth does not count it. */
  shift(offset: number): void {
    for (let b = 0; b < this.bins; b++) {
      this.curSum[b] += offset * this.curN[b]!;
      this.prevMean[b] += offset;
    }
  }

  /** The mean of the bin of `target` one period before it, or null when that visit is not known. */
  private reference(target: number): number | null {
    const periods = Math.floor(target / this.periodMs);
    const b = this.bin(target, periods);
    const k = periods - 1;
    const n = this.curN[b]!;
    if (this.curPeriod[b] === k && n > 0) return this.curSum[b]! / n;
    return this.prevPeriod[b] === k ? this.prevMean[b]! : null;
  }

  /** The highest (sign 1) or lowest (sign -1) bin mean kept: no forecast can cross beyond it plus the growth. */
  private peak(sign: number): number {
    let best = -Infinity;
    for (let b = 0; b < this.bins; b++) {
      const n = this.curN[b]!;
      if (n > 0) best = Math.max(best, (sign * this.curSum[b]!) / n);
      if (this.prevPeriod[b] !== NONE) best = Math.max(best, sign * this.prevMean[b]!);
    }
    return sign * best;
  }

  /** In [0, 1]: the significance of the growth towards `sign` times how much of its memory is filled. */
  confidence(sign: number): number {
    const g = this.growth;
    const sd = Math.sqrt(Math.max(0, this.growthSq - g * g));
    const n = Math.min(this.diffs, this.memory);
    const tStat = n > 1 && sd > 0 ? (sign * g) / (sd / Math.sqrt(n)) : 0;
    return (1 - Math.exp(-Math.max(0, tStat - 2) / 4)) * Math.min(1, this.diffs / this.memory);
  }

  /**
   * Time from `now` to the first crossing of `limit` (in `sign`'s direction) by reference +
   * growth, scanned every half bin up to `scanMs`; Infinity when none.
   */
  etaMs(now: number, limit: number, sign: number, scanMs: number): number {
    const g = this.growth;
    if (sign * (this.peak(sign) + g - limit) < 0) return Infinity;
    const step = this.periodMs / this.bins / 2;
    for (let dt = step; dt <= scanMs; dt += step) {
      const r = this.reference(now + dt);
      if (r !== null && sign * (r + g - limit) >= 0) return dt;
    }
    return Infinity;
  }

  state(): SeasonalGrowthState {
    const cur: SeasonalGrowthState['cur'] = [];
    const prev: SeasonalGrowthState['prev'] = [];
    for (let b = 0; b < this.bins; b++) {
      cur.push({ period: this.curPeriod[b]!, sum: this.curSum[b]!, n: this.curN[b]! });
      prev.push({ period: this.prevPeriod[b]!, mean: this.prevMean[b]! });
    }
    return { cur, prev, growth: this.growth, growthSq: this.growthSq, diffs: this.diffs };
  }

  restore(state: unknown): void {
    const st = seasonalGrowthStateSchema.parse(state);
    if (st.cur.length !== this.bins || st.prev.length !== this.bins) throw new RangeError('seasonal growth state: bins do not match the configuration');
    st.cur.forEach((c, b) => {
      this.curPeriod[b] = c.period;
      this.curSum[b] = c.sum;
      this.curN[b] = c.n;
    });
    st.prev.forEach((p, b) => {
      this.prevPeriod[b] = p.period;
      this.prevMean[b] = p.mean;
    });
    this.growth = st.growth;
    this.growthSq = st.growthSq;
    this.diffs = st.diffs;
  }
}
