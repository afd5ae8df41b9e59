/** Contracts shared by the streaming detectors. */
import type { Sample } from '../series';

/** Why a detector scored what it scored, for the last sample it saw. */
export interface Explanation {
  /** Detector family: 'level', 'seasonal', 'trend'. */
  readonly detector: string;
  /** Which statistic drove the score, e.g. 'level-shift', 'volatility-up', 'range', 'seasonal-residual', 'time-to-limit'. */
  readonly feature: string;
  readonly score: number;
  /** The value (or statistic) observed. */
  readonly observed: number;
  /** What the detector expected instead. */
  readonly expected: number;
  /** Forecast value at the lead-time horizon (trend forecaster). */
  readonly forecast?: number;
  /** Estimated time until the limit is crossed (trend forecaster). */
  readonly etaMs?: number;
  readonly message: string;
}

/**
 * How explanations present numbers: detectors may run on normalised values; a view maps a level
 * (and a spread, which has no offset) back to the original units.
 */
export interface ValueView {
  level(v: number): number;
  spread(d: number): number;
}

export const IDENTITY_VIEW: ValueView = { level: (v) => v, spread: (d) => d };

/**
 * A causal, streaming detector: `update` sees one sample at a time (score at t uses data up to t
 * only) and returns a score in [0, 1]. `state()` is plain JSON; each detector has a static
 * `restore(config, state)` that rebuilds it exactly (continue-as-new, model artefacts).
 * Samples with a non-finite value (missing after resampling) leave the state untouched and
 * return the previous score.
 */
export interface StreamingDetector<S> {
  readonly kind: string;
  update(sample: Sample): number;
  /** Explanation of the last score, or null when the detector has nothing to say. */
  explain(view?: ValueView): Explanation | null;
  state(): S;
}

/** Round for human-readable messages. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(3);
  return String(Math.round(x * 1000) / 1000);
}

/** Human-readable duration. */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}min`;
  const h = s / 3600;
  if (h < 48) return `${Math.round(h * 10) / 10}h`;
  return `${Math.round((h / 24) * 10) / 10}d`;
}

/** No statistic of a detector scores before it has this many values, whatever the warm-up. */
export const MIN_COUNT = 10;
/** Record trackers start after this fraction of the warm-up: shorter-lived than the statistics they judge. */
export const RECORD_START = 0.3;
