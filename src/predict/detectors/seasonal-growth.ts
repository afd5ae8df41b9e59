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

export interface SeasonalForecast {
  /** Time to the first forecast crossing within the scan, Infinity when none. */
  readonly etaMs: number;
  /** In [0, 1]: the growth's significance times how much of its memory is filled. */
  readonly confidence: number;
  readonly growthPerPeriod: number;
}

export class SeasonalGrowth {
  private cur: { period: number; sum: number; n: number }[];
  private prev: { period: number; mean: number }[];
  private growth = 0;
  private growthSq = 0;
  private diffs = 0;

  constructor(
    readonly periodMs: number,
    readonly bins: number,
    /** Diffs remembered by the growth mean (1/alpha). */
    private readonly memory: number,
  ) {
    this.cur = Array.from({ length: bins }, () => ({ period: NONE, sum: 0, n: 0 }));
    this.prev = Array.from({ length: bins }, () => ({ period: NONE, mean: 0 }));
  }

  private bin(t: number): number {
    const phase = ((t % this.periodMs) + this.periodMs) % this.periodMs;
    return Math.min(this.bins - 1, Math.floor((phase / this.periodMs) * this.bins));
  }

  observe(t: number, v: number): void {
    const b = this.bin(t);
    const k = Math.floor(t / this.periodMs);
    const c = this.cur[b]!;
    if (c.period !== k) {
      if (c.n > 0) this.prev[b] = { period: c.period, mean: c.sum / c.n };
      this.cur[b] = { period: k, sum: 0, n: 0 };
    }
    const p = this.prev[b]!;
    if (p.period === k - 1) {
      const d = v - p.mean;
      const a = Math.max(1 / ++this.diffs, 1 / this.memory);
      this.growth += a * (d - this.growth);
      this.growthSq += a * (d * d - this.growthSq);
    }
    this.cur[b]!.sum += v;
    this.cur[b]!.n++;
  }

  /** A level shift of `offset` (seen by the trend): the kept history moves with it, so the growth does not count it. */
  shift(offset: number): void {
    for (const c of this.cur) c.sum += offset * c.n;
    for (const p of this.prev) p.mean += offset;
  }

  /** The mean of the bin of `target` one period before it, or null when that visit is not known. */
  private reference(target: number): number | null {
    const b = this.bin(target);
    const k = Math.floor(target / this.periodMs) - 1;
    const c = this.cur[b]!;
    if (c.period === k && c.n > 0) return c.sum / c.n;
    const p = this.prev[b]!;
    return p.period === k ? p.mean : null;
  }

  /** The highest (sign 1) or lowest (sign -1) bin mean kept: no forecast can cross beyond it plus the growth. */
  private peak(sign: number): number {
    let best = -Infinity;
    for (let b = 0; b < this.bins; b++) {
      const c = this.cur[b]!;
      if (c.n > 0) best = Math.max(best, (sign * c.sum) / c.n);
      const p = this.prev[b]!;
      if (p.period !== NONE) best = Math.max(best, sign * p.mean);
    }
    return sign * best;
  }

  /** First crossing of `limit` (in `sign`'s direction) by reference + growth, scanned every half bin up to `scanMs`. */
  forecast(now: number, limit: number, sign: number, scanMs: number): SeasonalForecast {
    const g = this.growth;
    const sd = Math.sqrt(Math.max(0, this.growthSq - g * g));
    const n = Math.min(this.diffs, this.memory);
    const tStat = n > 1 && sd > 0 ? (sign * g) / (sd / Math.sqrt(n)) : 0;
    const confidence = (1 - Math.exp(-Math.max(0, tStat - 2) / 4)) * Math.min(1, this.diffs / this.memory);
    let etaMs = Infinity;
    if (confidence > 0 && sign * (this.peak(sign) + g - limit) >= 0) {
      const step = this.periodMs / this.bins / 2;
      for (let dt = step; dt <= scanMs; dt += step) {
        const r = this.reference(now + dt);
        if (r !== null && sign * (r + g - limit) >= 0) {
          etaMs = dt;
          break;
        }
      }
    }
    return { etaMs, confidence, growthPerPeriod: g };
  }

  state(): SeasonalGrowthState {
    return {
      cur: this.cur.map((c) => ({ ...c, period: c.period })),
      prev: this.prev.map((p) => ({ ...p, period: p.period })),
      growth: this.growth,
      growthSq: this.growthSq,
      diffs: this.diffs,
    };
  }

  restore(state: unknown): void {
    const st = seasonalGrowthStateSchema.parse(state);
    if (st.cur.length !== this.bins || st.prev.length !== this.bins) throw new RangeError('seasonal growth state: bins do not match the configuration');
    this.cur = st.cur.map((c) => ({ ...c }));
    this.prev = st.prev.map((p) => ({ ...p }));
    this.growth = st.growth;
    this.growthSq = st.growthSq;
    this.diffs = st.diffs;
  }
}
