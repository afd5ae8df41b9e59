/**
 * A robustness check that does not reuse the labelled corpus' own numbers: the corpus
 * transformed in ways a detector that generalises must survive, with the windows mapped
 * accordingly (they are timestamps, so only a transform that moves rows moves them):
 * - scaled: every value a * v + b (a detector must not depend on units or offsets);
 * - every second row: a scrape at twice the interval (the probationary length halves with it),
 *   both parities: each series becomes two, its even rows and its odd rows (names suffixed
 *   `#even`, `#odd`, same category), scored as separate files and combined as NAB combines
 *   files; keeping one parity would measure which rows survive (a one-row spike on a dropped
 *   row is gone) as much as the detectors;
 * - noise: Gaussian noise of 5 % of the series' 1-99 % quantile range added (seeded);
 * - spikes: the series without anomalies get three injected spikes after their probationary
 *   period, each with a NAB-sized window around it (10 % of the rows shared by the file's
 *   anomalies, centred), so the category that only charged false positives now has windows.
 * Every transform is deterministic and corpus-wide: nothing depends on a file's name or length
 * beyond the positions NAB's own rules derive from the length.
 */
import { gaussian, mulberry32 } from './prng';
import { quantile } from '../detectors/stats';
import type { LabelledSeries } from './evaluate';
import { evaluateLocoOn } from './loco-eval';
import type { LocoEvaluation } from './loco-eval';
import type { GridCandidate } from './eval-grid';

export interface CorpusTransform {
  readonly name: string;
  readonly apply: (corpus: readonly LabelledSeries[]) => LabelledSeries[];
}

const SCALE = 37.5;
const OFFSET = -1234.5;
const NOISE_SHARE = 0.05;
/** Where the spikes go, as fractions of the rows (all after NAB's 15 % probation). */
const SPIKE_AT = [0.45, 0.65, 0.85] as const;
/** Spike height, in the series' 1-99 % quantile ranges; signs alternate up, down, up. */
const SPIKE_HEIGHT = 0.5;

/** The series' 1-99 % quantile range, or a unit relative to its level when it is flat. */
function spread(values: Float64Array): number {
  const r = quantile(values, 0.99) - quantile(values, 0.01);
  return r > 0 ? r : 0.1 * (Math.abs(quantile(values, 0.5)) + 1);
}

function mapValues(s: LabelledSeries, f: (v: number, i: number) => number): LabelledSeries {
  return { ...s, values: Float64Array.from(s.values, f) };
}

/** Rows parity, parity + 2, ... of a series (a scrape at twice the interval, starting at row `parity`). */
function everySecondRow(s: LabelledSeries, parity: 0 | 1): LabelledSeries {
  const n = Math.ceil((s.values.length - parity) / 2);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    timestamps[i] = s.timestamps[2 * i + parity]!;
    values[i] = s.values[2 * i + parity]!;
  }
  return { ...s, name: `${s.name}#${parity === 0 ? 'even' : 'odd'}`, timestamps, values };
}

function withNoise(s: LabelledSeries, seed: number): LabelledSeries {
  const g = gaussian(mulberry32(seed));
  const sigma = NOISE_SHARE * spread(s.values);
  return mapValues(s, (v) => v + sigma * g());
}

function withSpikes(s: LabelledSeries): LabelledSeries {
  if (s.windows.length > 0) return s;
  const n = s.values.length;
  const height = SPIKE_HEIGHT * spread(s.values);
  const at = SPIKE_AT.map((f) => Math.floor(f * n));
  const half = Math.floor((0.1 * n) / at.length / 2);
  const values = Float64Array.from(s.values);
  at.forEach((i, k) => (values[i] = values[i]! + (k % 2 === 0 ? height : -height)));
  const windows = at.map((i) => [s.timestamps[Math.max(0, i - half)]!, s.timestamps[Math.min(n - 1, i + half)]!] as const);
  return { ...s, values, windows };
}

export const ROBUSTNESS_TRANSFORMS: readonly CorpusTransform[] = [
  { name: `scaled (${SCALE} v ${OFFSET})`, apply: (c) => c.map((s) => mapValues(s, (v) => SCALE * v + OFFSET)) },
  { name: 'every second row (even and odd rows)', apply: (c) => c.flatMap((s) => [everySecondRow(s, 0), everySecondRow(s, 1)]) },
  { name: `noise (${NOISE_SHARE * 100} % of the 1-99 % range)`, apply: (c) => c.map((s, i) => withNoise(s, i + 1)) },
  { name: 'spikes injected in the series without anomalies', apply: (c) => c.map(withSpikes) },
];

/** The corpus as it is, then every transform of it, each through the full protocol (loco-eval.ts). */
export function evaluateRobustness(corpus: readonly LabelledSeries[], grid: readonly GridCandidate[]): Array<{ name: string; evaluation: LocoEvaluation }> {
  const runs = [{ name: 'as labelled', apply: (c: readonly LabelledSeries[]) => [...c] }, ...ROBUSTNESS_TRANSFORMS];
  return runs.map((t) => ({ name: t.name, evaluation: evaluateLocoOn(t.apply(corpus), grid) }));
}
