/**
 * Time-series primitives: samples, cleaning, resampling to a fixed step, normalisation.
 */
import { z } from 'zod';
import { BadInputError } from '../common/errors';
import { mad, median } from './detectors/stats';

/** One observation: epoch milliseconds and a value. */
export interface Sample {
  t: number;
  v: number;
}

export const sampleSchema = z.object({ t: z.number().finite(), v: z.number() }).strict();

export interface CleanReport {
  readonly input: number;
  readonly output: number;
  /** Samples dropped for a non-finite timestamp or value. */
  readonly nonFinite: number;
  /** Samples dropped because a later one had the same timestamp (the last one wins). */
  readonly duplicates: number;
  /** Whether the input was out of order (it is sorted). */
  readonly reordered: boolean;
}

/**
 * Drops NaN/Infinity (timestamp or value), sorts by time (stable), and keeps the last sample
 * (in input order) of each timestamp.
 */
export function cleanSamples(samples: readonly Sample[]): { samples: Sample[]; report: CleanReport } {
  const finite: Array<{ s: Sample; i: number }> = [];
  let nonFinite = 0;
  samples.forEach((s, i) => {
    if (Number.isFinite(s.t) && Number.isFinite(s.v)) finite.push({ s, i });
    else nonFinite++;
  });
  let reordered = false;
  for (let k = 1; k < finite.length; k++) {
    if (finite[k]!.s.t < finite[k - 1]!.s.t) {
      reordered = true;
      break;
    }
  }
  if (reordered) finite.sort((a, b) => a.s.t - b.s.t || a.i - b.i);
  const out: Sample[] = [];
  let duplicates = 0;
  for (const { s } of finite) {
    const last = out[out.length - 1];
    if (last && last.t === s.t) {
      out[out.length - 1] = { t: s.t, v: s.v };
      duplicates++;
    } else out.push({ t: s.t, v: s.v });
  }
  return { samples: out, report: { input: samples.length, output: out.length, nonFinite, duplicates, reordered } };
}

export const resampleOptionsSchema = z
  .object({
    stepMs: z.number().positive(),
    /** First bucket start (default: first sample time floored to the step). */
    start: z.number().finite().optional(),
    /** Exclusive end (default: just after the last sample's bucket). */
    end: z.number().finite().optional(),
    /** Empty buckets within this many steps of the last observed bucket repeat its value; later ones are missing (NaN). */
    maxFillSteps: z.number().int().nonnegative().default(0),
  })
  .strict();
export type ResampleOptions = z.input<typeof resampleOptionsSchema>;

export interface ResampleResult {
  /** One sample per bucket, timestamped at the bucket start; v is NaN when missing. */
  readonly samples: Sample[];
  readonly filled: number;
  readonly missing: number;
}

/**
 * Resamples to a fixed step: each bucket [start + k*step, start + (k+1)*step) takes the mean of
 * its samples. Gaps are forward-filled for up to `maxFillSteps` buckets, then marked missing
 * (NaN) until the next observation. Input need not be clean (non-finite values are ignored).
 */
export function resample(samples: readonly Sample[], options: ResampleOptions): ResampleResult {
  const o = resampleOptionsSchema.parse(options);
  const step = o.stepMs;
  const data = samples.filter((s) => Number.isFinite(s.t) && Number.isFinite(s.v));
  if (data.length === 0 && (o.start === undefined || o.end === undefined)) return { samples: [], filled: 0, missing: 0 };
  let tMin = Infinity;
  let tMax = -Infinity;
  for (const s of data) {
    if (s.t < tMin) tMin = s.t;
    if (s.t > tMax) tMax = s.t;
  }
  const start = o.start ?? Math.floor(tMin / step) * step;
  const end = o.end ?? (Math.floor((tMax - start) / step) + 1) * step + start;
  const n = Math.max(0, Math.ceil((end - start) / step));
  if (n > 50_000_000) throw new BadInputError(`resample: ${n} buckets is too many (step ${step} ms)`);
  const sum = new Float64Array(n);
  const cnt = new Uint32Array(n);
  for (const s of data) {
    const k = Math.floor((s.t - start) / step);
    if (k < 0 || k >= n) continue;
    sum[k]! += s.v;
    cnt[k]!++;
  }
  const out: Sample[] = new Array(n);
  let lastValue = NaN;
  let lastK = -Infinity;
  let filled = 0;
  let missing = 0;
  for (let k = 0; k < n; k++) {
    const t = start + k * step;
    if (cnt[k]! > 0) {
      lastValue = sum[k]! / cnt[k]!;
      lastK = k;
      out[k] = { t, v: lastValue };
    } else if (k - lastK <= o.maxFillSteps) {
      filled++;
      out[k] = { t, v: lastValue };
    } else {
      missing++;
      out[k] = { t, v: NaN };
    }
  }
  return { samples: out, filled, missing };
}

export const normaliserSchema = z
  .object({
    method: z.enum(['robust', 'standard']),
    /** Median (robust) or mean (standard). */
    center: z.number().finite(),
    /** 1.4826 * MAD (robust) or standard deviation (standard); never 0. */
    scale: z.number().finite().positive(),
  })
  .strict();
export type Normaliser = z.infer<typeof normaliserSchema>;

/**
 * Learns normalisation statistics from training values (non-finite ignored). Robust: median and
 * 1.4826 * MAD (falls back to the standard deviation, then to 1, when the MAD is 0, e.g. a
 * mostly-constant series). Standard: mean and standard deviation.
 */
export function fitNormaliser(values: ArrayLike<number>, method: 'robust' | 'standard' = 'robust'): Normaliser {
  const x: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) x.push(values[i]!);
  if (x.length === 0) throw new BadInputError('normaliser: no finite training values');
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let varSum = 0;
  for (const v of x) varSum += (v - mean) * (v - mean);
  const std = Math.sqrt(varSum / Math.max(1, x.length - 1));
  const fallback = (s: number): number => (s > 1e-12 * (Math.abs(mean) + 1) ? s : std > 1e-12 * (Math.abs(mean) + 1) ? std : 1);
  if (method === 'standard') return { method, center: mean, scale: fallback(std) };
  const m = median(x);
  return { method, center: m, scale: fallback(1.4826 * mad(x, m)) };
}

export function normalise(v: number, n: Normaliser): number {
  return (v - n.center) / n.scale;
}

export function denormalise(z: number, n: Normaliser): number {
  return z * n.scale + n.center;
}

/** Normalises the values of samples (new array). */
export function normaliseSamples(samples: readonly Sample[], n: Normaliser): Sample[] {
  return samples.map((s) => ({ t: s.t, v: normalise(s.v, n) }));
}
