/**
 * Labelled traces for the time-to-limit evaluation (forecast-eval.ts), generated from a seed so
 * that every run, and Prometheus, sees the same samples: disks filling (with noise, a daily cycle,
 * step changes, a cleanup drop on the way), GPU memory creeping, and series that never reach their
 * limit (flat, daily cycles, a nightly scratch job that fills and empties, a GPU busy/idle cycle).
 * The label is the time of the first sample at or above the limit, or null when it never comes.
 * Every trace starts at the same instant and its samples fall on multiples of the step.
 */
import type { Sample } from '../series';
import { gaussian, mulberry32 } from './prng';

export type TraceFamily =
  | 'disk-fill'
  | 'disk-fill-daily'
  | 'disk-fill-steps'
  | 'disk-fill-cleanup'
  | 'gpu-mem-creep'
  | 'stable-flat'
  | 'stable-daily'
  | 'stable-scratch'
  | 'gpu-stable';

export const TRACE_FAMILIES: readonly TraceFamily[] = [
  'disk-fill',
  'disk-fill-daily',
  'disk-fill-steps',
  'disk-fill-cleanup',
  'gpu-mem-creep',
  'stable-flat',
  'stable-daily',
  'stable-scratch',
  'gpu-stable',
];

export interface LabelledTrace {
  /** `family-k`, unique within one generated set. */
  readonly name: string;
  readonly family: TraceFamily;
  readonly limit: number;
  readonly unit: string;
  readonly samples: Sample[];
  /** Time of the first sample at or above the limit; null when the trace never reaches it. */
  readonly crossAt: number | null;
}

export interface TraceOptions {
  seed: number;
  stepMs: number;
  /** Start of every trace, epoch ms (rounded down to a multiple of the step). */
  startMs?: number;
  /** Traces per family. */
  perFamily?: number;
  families?: readonly TraceFamily[];
  /** Length of the never-filling traces (a week by default). */
  stableSpanMs?: number;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** 2025-01-06T00:00:00Z, a Monday: fixed so the traces (and the TSDB blocks made of them) are reproducible. */
export const DEFAULT_TRACE_START = Date.UTC(2025, 0, 6);
const DISK_LIMIT = 95;
const GPU_LIMIT = 78;
/** A filling trace that has not reached its limit by then is cut there (unlabelled crossings are a generator bug). */
const MAX_FILL_SPAN = 14 * DAY;

type Shape = (tMs: number) => number;

interface Spec {
  limit: number;
  unit: string;
  /** Noise-free value at time t (ms since the start). */
  shape: Shape;
  noiseSd: number;
  /** Values are rounded down to this grain (an allocator's block, a filesystem's reporting). */
  grain?: number;
  /** Fill traces run until the limit, the others for `stableSpanMs`. */
  fills: boolean;
}

const uniform = (rand: () => number, lo: number, hi: number): number => lo + (hi - lo) * rand();
const daily = (tMs: number, phase: number): number => Math.sin((2 * Math.PI * tMs) / DAY + phase);

function spec(family: TraceFamily, rand: () => number): Spec {
  switch (family) {
    case 'disk-fill': {
      const start = uniform(rand, 30, 50);
      const rate = (DISK_LIMIT - start) / uniform(rand, 36, 72); // %/h: full in 1.5 to 3 days
      return { limit: DISK_LIMIT, unit: '%', shape: (t) => start + (rate * t) / HOUR, noiseSd: 0.3, fills: true };
    }
    case 'disk-fill-daily': {
      const start = uniform(rand, 30, 45);
      const rate = (DISK_LIMIT - start) / uniform(rand, 48, 96);
      const amp = uniform(rand, 2, 4);
      const phase = uniform(rand, 0, 2 * Math.PI);
      return { limit: DISK_LIMIT, unit: '%', shape: (t) => start + (rate * t) / HOUR + amp * daily(t, phase), noiseSd: 0.3, fills: true };
    }
    case 'disk-fill-steps': {
      const start = uniform(rand, 25, 40);
      const steps = Array.from({ length: 3 }, () => ({ at: uniform(rand, 6, 48) * HOUR, size: uniform(rand, 4, 8) }));
      const rate = (DISK_LIMIT - start - steps.reduce((s, x) => s + x.size, 0)) / uniform(rand, 48, 84);
      return {
        limit: DISK_LIMIT,
        unit: '%',
        shape: (t) => start + (rate * t) / HOUR + steps.reduce((s, x) => s + (t >= x.at ? x.size : 0), 0),
        noiseSd: 0.3,
        fills: true,
      };
    }
    case 'disk-fill-cleanup': {
      const start = uniform(rand, 30, 45);
      const rate = (DISK_LIMIT - start) / uniform(rand, 36, 60);
      // logs rotated when the disk is 70-80 % full: it drops, then fills again at the same pace
      const cleanAt = ((uniform(rand, 70, 80) - start) / rate) * HOUR;
      const drop = uniform(rand, 15, 25);
      return { limit: DISK_LIMIT, unit: '%', shape: (t) => start + (rate * t) / HOUR - (t >= cleanAt ? drop : 0), noiseSd: 0.3, fills: true };
    }
    case 'gpu-mem-creep': {
      const start = uniform(rand, 20, 40);
      const rate = uniform(rand, 0.6, 1.5); // GiB/h: a leak in a long-lived inference server
      return { limit: GPU_LIMIT, unit: 'GiB', shape: (t) => start + (rate * t) / HOUR, noiseSd: 0.4, grain: 0.25, fills: true };
    }
    case 'stable-flat': {
      const level = uniform(rand, 55, 75);
      return { limit: DISK_LIMIT, unit: '%', shape: () => level, noiseSd: 0.4, fills: false };
    }
    case 'stable-daily': {
      const mean = uniform(rand, 65, 72);
      const amp = uniform(rand, 6, 10);
      const phase = uniform(rand, 0, 2 * Math.PI);
      return { limit: DISK_LIMIT, unit: '%', shape: (t) => mean + amp * daily(t, phase), noiseSd: 0.4, fills: false };
    }
    case 'stable-scratch': {
      // a nightly job writes scratch data for a few hours, then deletes it
      const base = uniform(rand, 55, 65);
      const peak = uniform(rand, 20, 28);
      const startH = uniform(rand, 0, 6);
      const rampH = uniform(rand, 3, 5);
      return {
        limit: DISK_LIMIT,
        unit: '%',
        shape: (t) => {
          const h = (((t / HOUR - startH) % 24) + 24) % 24;
          return base + (h < rampH ? (peak * h) / rampH : 0);
        },
        noiseSd: 0.3,
        fills: false,
      };
    }
    case 'gpu-stable': {
      // training steps: memory climbs while a batch is staged, drops when it is freed
      const base = uniform(rand, 50, 60);
      const swing = uniform(rand, 6, 10);
      const periodH = uniform(rand, 2, 6);
      return { limit: GPU_LIMIT, unit: 'GiB', shape: (t) => base + swing * ((t / HOUR / periodH) % 1), noiseSd: 0.4, grain: 0.25, fills: false };
    }
  }
}

/** The labelled traces of one seed: `perFamily` of each family, in family order. */
export function generateTraces(o: TraceOptions): LabelledTrace[] {
  if (!(o.stepMs > 0)) throw new RangeError('stepMs must be positive');
  const start = Math.floor((o.startMs ?? DEFAULT_TRACE_START) / o.stepMs) * o.stepMs;
  const stableSpan = o.stableSpanMs ?? 7 * DAY;
  const out: LabelledTrace[] = [];
  (o.families ?? TRACE_FAMILIES).forEach((family, fi) => {
    for (let k = 0; k < (o.perFamily ?? 2); k++) {
      const rand = mulberry32((o.seed * 7919 + fi * 104729 + k * 15485863) >>> 0);
      const noise = gaussian(rand);
      const s = spec(family, rand);
      const samples: Sample[] = [];
      let crossAt: number | null = null;
      const span = s.fills ? MAX_FILL_SPAN : stableSpan;
      for (let dt = 0; dt <= span; dt += o.stepMs) {
        let v = s.shape(dt) + s.noiseSd * noise();
        if (s.grain) v = Math.floor(v / s.grain) * s.grain;
        samples.push({ t: start + dt, v });
        if (v >= s.limit) {
          crossAt = start + dt;
          break;
        }
      }
      if (s.fills && crossAt === null) throw new Error(`trace ${family}-${k} does not reach its limit within ${MAX_FILL_SPAN / DAY} days`);
      out.push({ name: `${family}-${k}`, family, limit: s.limit, unit: s.unit, samples, crossAt });
    }
  });
  return out;
}
