/**
 * Small streaming statistics shared by the detectors. Every class keeps its state in plain
 * numbers so that `state()` is JSON and `restore()` puts it back (a Temporal workflow carries it
 * through continue-as-new).
 */
import { z } from 'zod';

/** Median of a numeric array (copy-sorts; NaN-free input expected). */
export function median(values: ArrayLike<number>): number {
  const a = Array.from(values).sort((x, y) => x - y);
  const n = a.length;
  if (n === 0) return NaN;
  return n % 2 ? a[(n - 1) / 2]! : (a[n / 2 - 1]! + a[n / 2]!) / 2;
}

/** Median absolute deviation around `center` (unscaled). */
export function mad(values: ArrayLike<number>, center = median(values)): number {
  const d = Array.from(values, (v) => Math.abs(v - center));
  return median(d);
}

/** Linear-interpolated quantile, q in [0, 1]. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const a = Array.from(values).sort((x, y) => x - y);
  if (a.length === 0) return NaN;
  const pos = Math.min(1, Math.max(0, q)) * (a.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
}

export const robustEwmaStateSchema = z.object({ m: z.number(), s: z.number().nonnegative(), n: z.number().int().nonnegative() }).strict();
export type RobustEwmaState = z.infer<typeof robustEwmaStateSchema>;

/**
 * Robust exponentially weighted location (m) and scale (s = mean absolute deviation).
 * Warm-up: the first `warm` samples are plain running averages (alpha = 1/(n+1) until it falls
 * below the configured alpha) and unclipped; after it, residuals are clipped at `clip` * s for the
 * scale and 3 * `clip` * s for the location, so one spike moves neither much. The clip rests on
 * at least `floor` (a SpanTracker's): after a constant stretch s decays towards 0, and a clip on
 * that would freeze the location for good, or for as long as rounding residue of the level
 * decides (so an offset would change the scores).
 */
export class RobustEwma {
  m = 0;
  s = 0;
  n = 0;

  constructor(
    readonly alpha: number,
    readonly scaleAlpha: number,
    readonly clip = 4,
    readonly warm = 30,
  ) {}

  update(x: number, floor = 0): void {
    const n = this.n;
    if (n === 0) {
      // The first sample is the location; it has no residual (against the initial 0 it would be
      // |x|, a scale that depends on the series' offset).
      this.m = x;
      this.n = 1;
      return;
    }
    const a = this.alpha > 1 / (n + 1) ? this.alpha : 1 / (n + 1);
    // the scale averages the n residuals seen since the first sample
    const b = this.scaleAlpha > 1 / n ? this.scaleAlpha : 1 / n;
    const r = x - this.m;
    const ar = r < 0 ? -r : r;
    if (n < this.warm) {
      this.m += a * r;
      this.s += b * (ar - this.s);
    } else {
      const cs = this.clip * (this.s > floor ? this.s : floor);
      const cm = 3 * cs;
      this.m += a * (ar > cm ? (r < 0 ? -cm : cm) : r);
      this.s += b * ((ar > cs ? cs : ar) - this.s);
    }
    this.n = n + 1;
  }

  state(): RobustEwmaState {
    return { m: this.m, s: this.s, n: this.n };
  }

  restore(st: RobustEwmaState): this {
    this.m = st.m;
    this.s = st.s;
    this.n = st.n;
    return this;
  }
}

export const spanTrackerStateSchema = z.object({ lo: z.number(), hi: z.number() }).strict();
export type SpanTrackerState = z.infer<typeof spanTrackerStateSchema>;

/**
 * Lowest and highest value a series has ever taken: the reference of the detectors' scale
 * floors. A spread below `SCALE_FLOOR` of that span is rounding noise; the floor keeps a ratio
 * finite on a series that was constant for a while. It moves with the series' units (x -> a x + b
 * scales it by a) so that no score depends on the units or the offset of a metric: a floor tied to
 * the level |x| instead makes the same series score differently in °C and in K.
 */
export class SpanTracker {
  lo = Infinity;
  hi = -Infinity;

  push(x: number): void {
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
  }

  floor(): number {
    return this.hi > this.lo ? SCALE_FLOOR * (this.hi - this.lo) : 0;
  }

  state(): SpanTrackerState | null {
    return this.hi >= this.lo ? { lo: this.lo, hi: this.hi } : null;
  }

  restore(st: SpanTrackerState | null): this {
    this.lo = st ? st.lo : Infinity;
    this.hi = st ? st.hi : -Infinity;
    return this;
  }
}

/**
 * num / (den + floor), a statistic in units of a floored spread; 0 when den + floor is 0 (only
 * on a series that never moved, where every deviation is 0 too).
 */
export function flooredRatio(num: number, den: number, floor: number): number {
  const d = den + floor;
  return d > 0 ? num / d : 0;
}

/**
 * Share of a series' span below which a spread is rounding noise (see SpanTracker). A float64
 * value carries a rounding error of about 1e-16 of its level; with a level (offset) 1e4 times the
 * span, as in 273.15 K + a few mK, that is 1e-12 of the span, so a statistic divided by this floor
 * moves by 1e-6 of itself under a change of units (1e-9 gave 1e-3: visible in the scores).
 */
export const SCALE_FLOOR = 1e-6;

export const recordTrackerStateSchema = z
  .object({
    blocks: z.array(z.number().nonnegative()),
    cur: z.number().nonnegative(),
    curN: z.number().int().nonnegative(),
    max: z.number().nonnegative(),
    /** Values not yet in the record (the last `delay` ones), oldest first. */
    pending: z.array(z.number().nonnegative()).default([]),
  })
  .strict();
export type RecordTrackerState = z.infer<typeof recordTrackerStateSchema>;

/**
 * The largest value seen over roughly the last `horizon` observations, kept as maxima of
 * `nBlocks` consecutive blocks (so forgetting is stepwise, state stays small and updates O(1)
 * amortised). `ratio(x)` = x / record is the detectors' calibration: a feature that beats the
 * largest value of its own recent history is news, one that does not is not, whatever the
 * series' scale or noise. A value joins the record only `delay` observations after it was
 * pushed, so a deviation that builds up over a few points is still compared with the record of
 * before it started (otherwise it would only ever beat its own previous step).
 */
export class RecordTracker {
  blocks: number[] = [];
  cur = 0;
  curN = 0;
  max = 0;
  pending: number[] = [];
  private head = 0;
  private readonly blockSize: number;

  constructor(
    readonly horizon: number,
    readonly nBlocks = 8,
    readonly delay = 0,
  ) {
    this.blockSize = Math.max(1, Math.ceil(horizon / nBlocks));
  }

  push(x: number): void {
    if (this.delay > 0) {
      // ring buffer of the last `delay` values
      if (this.pending.length < this.delay) {
        this.pending.push(x);
        return;
      }
      const old = this.pending[this.head]!;
      this.pending[this.head] = x;
      this.head = (this.head + 1) % this.delay;
      x = old;
    }
    if (x > this.cur) this.cur = x;
    if (x > this.max) this.max = x;
    if (++this.curN >= this.blockSize) {
      this.blocks.push(this.cur);
      if (this.blocks.length > this.nBlocks) this.blocks.shift();
      this.cur = 0;
      this.curN = 0;
      let m = 0;
      for (const b of this.blocks) if (b > m) m = b;
      this.max = m;
    }
  }

  /** x relative to the record; `empty` when no positive record exists yet. */
  ratio(x: number, empty = 100): number {
    return this.max > 0 ? x / this.max : x > 0 ? empty : 0;
  }

  state(): RecordTrackerState {
    const pending = this.pending.length < this.delay ? [...this.pending] : [...this.pending.slice(this.head), ...this.pending.slice(0, this.head)];
    return { blocks: [...this.blocks], cur: this.cur, curN: this.curN, max: this.max, pending };
  }

  restore(st: RecordTrackerState): this {
    this.blocks = [...st.blocks];
    this.cur = st.cur;
    this.curN = st.curN;
    this.max = st.max;
    this.pending = this.delay > 0 ? st.pending.slice(-this.delay) : [];
    this.head = 0;
    return this;
  }
}

export const extremaTrackerStateSchema = z
  .object({
    los: z.array(z.number()),
    his: z.array(z.number()),
    curLo: z.number().nullable(),
    curHi: z.number().nullable(),
    curN: z.number().int().nonnegative(),
  })
  .strict();
export type ExtremaTrackerState = z.infer<typeof extremaTrackerStateSchema>;

/** Lowest and highest value over roughly the last `horizon` observations (block maxima, like RecordTracker). */
export class ExtremaTracker {
  los: number[] = [];
  his: number[] = [];
  curLo = Infinity;
  curHi = -Infinity;
  curN = 0;
  lo = Infinity;
  hi = -Infinity;
  private readonly blockSize: number;

  constructor(
    readonly horizon: number,
    readonly nBlocks = 8,
  ) {
    this.blockSize = Math.max(1, Math.ceil(horizon / nBlocks));
  }

  push(x: number): void {
    if (x < this.curLo) this.curLo = x;
    if (x > this.curHi) this.curHi = x;
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
    if (++this.curN >= this.blockSize) {
      this.los.push(this.curLo);
      this.his.push(this.curHi);
      if (this.los.length > this.nBlocks) {
        this.los.shift();
        this.his.shift();
      }
      this.curLo = Infinity;
      this.curHi = -Infinity;
      this.curN = 0;
      this.recompute();
    }
  }

  private recompute(): void {
    let lo = this.curLo;
    let hi = this.curHi;
    for (const v of this.los) if (v < lo) lo = v;
    for (const v of this.his) if (v > hi) hi = v;
    this.lo = lo;
    this.hi = hi;
  }

  state(): ExtremaTrackerState {
    const f = (v: number): number | null => (Number.isFinite(v) ? v : null);
    return { los: [...this.los], his: [...this.his], curLo: f(this.curLo), curHi: f(this.curHi), curN: this.curN };
  }

  restore(st: ExtremaTrackerState): this {
    this.los = [...st.los];
    this.his = [...st.his];
    this.curLo = st.curLo ?? Infinity;
    this.curHi = st.curHi ?? -Infinity;
    this.curN = st.curN;
    this.recompute();
    return this;
  }
}

/** Maps a record ratio (1 = equals the record) to a score in [0, 1): 0 up to the record, 1 - 1/ratio above. */
export function ratioScore(ratio: number): number {
  return ratio > 1 ? 1 - 1 / ratio : 0;
}

/**
 * Season length by autocorrelation: the lag in [minPeriod, maxPeriod] with the highest local
 * maximum of the sample autocorrelation, if that maximum reaches `minCorrelation`; 0 otherwise.
 * With `decorrelation` set, lags before the autocorrelation first falls below it are skipped
 * (a slowly decaying autocorrelation is persistence, not a season).
 */
export function detectPeriod(
  values: ArrayLike<number>,
  minPeriod = 4,
  maxPeriod = Math.floor(values.length / 2),
  minCorrelation = 0.3,
  decorrelation: number | null = null,
): number {
  const x: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) x.push(values[i]!);
  const n = x.length;
  if (n < 2 * minPeriod + 2) return 0;
  let mu = 0;
  for (const v of x) mu += v;
  mu /= n;
  let c0 = 0;
  for (const v of x) c0 += (v - mu) * (v - mu);
  if (!(c0 > 0)) return 0;
  const top = Math.min(maxPeriod, Math.floor(n / 2));
  const ac = new Float64Array(top + 2);
  for (let lag = 1; lag <= top; lag++) {
    let c = 0;
    for (let i = lag; i < n; i++) c += (x[i]! - mu) * (x[i - lag]! - mu);
    ac[lag] = c / c0;
  }
  // a season shows as a peak after the autocorrelation has first decayed: skip the initial decay
  let first = 1;
  if (decorrelation !== null) {
    while (first < top && ac[first]! >= decorrelation) first++;
    if (first >= top) return 0;
  }
  let best = 0;
  let bestLag = 0;
  for (let lag = Math.max(2, minPeriod, first); lag < top; lag++) {
    const a = ac[lag]!;
    if (a > ac[lag - 1]! && a >= ac[lag + 1]! && a > best) {
      best = a;
      bestLag = lag;
    }
  }
  return best > minCorrelation ? bestLag : 0;
}
