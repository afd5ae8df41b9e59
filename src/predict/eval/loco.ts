/**
 * Leave-one-category-out (LOCO) evaluation: the score of a detector on series whose category it
 * was never tuned on.
 *
 * Nouns:
 * - category: the first path segment of a series' name (`realTraffic/speed_6005.csv` ->
 *   `realTraffic`);
 * - candidate: one detector configuration of a small grid; every candidate scores every series
 *   on its own, causally, so a series' scores depend on that series and the candidate only;
 * - fold: one category held out, the others train.
 *
 * Protocol, per profile and per fold, on the training categories only (see chooseOnTraining):
 * the corpus-wide threshold is the one that maximises the NAB score of the base candidate (the
 * first; ties: the lower threshold, see HELD_OUT_TIES), and another candidate replaces the base
 * only if, at that same threshold, it scores higher and its gain over the base is significant
 * (SIGNIFICANT_GAIN); the held-out category is then scored at that pair. Nothing of the
 * held-out series is read before that. The folds are combined the way NAB combines
 * files: raw scores, null scores and perfect scores are summed over the four held-out folds
 * and normalised once, 100 * (sum raw - sum null) / (sum perfect - sum null). A category
 * without windows (artificialNoAnomaly) therefore counts only through its false positives.
 */
import { BadInputError } from '../../common/errors';
import { NAB_PROFILE_NAMES, scoreNab } from './nab';
import type { NabProfileName, NabSeries, ThresholdTies } from './nab';

export function categoryOf(name: string): string {
  const i = name.indexOf('/');
  return i < 0 ? '' : name.slice(0, i);
}

export interface Fold {
  readonly heldOut: string;
  /** Indices of the training series. */
  readonly train: readonly number[];
  /** Indices of the held-out series. */
  readonly test: readonly number[];
}

/** One fold per category, in name order; every series is held out in exactly one fold. */
export function locoFolds(names: readonly string[]): Fold[] {
  const cats = [...new Set(names.map(categoryOf))].sort();
  if (cats.length < 2) throw new BadInputError(`leave-one-category-out needs at least two categories, found ${cats.length}`);
  return cats.map((heldOut) => {
    const train: number[] = [];
    const test: number[] = [];
    names.forEach((n, i) => (categoryOf(n) === heldOut ? test : train).push(i));
    return { heldOut, train, test };
  });
}

/**
 * Every threshold between the lowest and the highest that reach the best training total scores
 * the same on the training series: they cannot tell them apart. On unseen series a row in that
 * gap is a detection or a false positive, and NAB charges a missed window (fnWeight, 1 or 2)
 * 4.5 to 18 times a false positive (fpWeight, 0.11 or 0.22), so the lowest of them is the one
 * of least expected cost. In-sample, the tie rule never changes the score.
 */
export const HELD_OUT_TIES: ThresholdTies = 'lower';

/** `scored[c][i]`: series i scored by candidate c (same series order for every candidate). */
export type ScoredGrid = ReadonlyArray<readonly NabSeries[]>;

export interface Choice {
  readonly candidate: number;
  readonly threshold: number;
  /** Normalised NAB score of the training series at this choice. */
  readonly trainScore: number;
  /** Paired t statistic of the chosen candidate's per-series gain over the base (0 for the base). */
  readonly gainT: number;
}

/**
 * One-sided 95 % point of the normal distribution: the paired t statistic a candidate's gain
 * over the base must exceed. On three training categories a candidate's lead over the base is
 * one or two false positives here and there (0.11 each): the pooled maximum of 18 such
 * candidates is mostly noise, and it chose settings that cost the unseen category (see the
 * README). A candidate must earn its place against the base, not merely tie-break it.
 */
export const SIGNIFICANT_GAIN = 1.645;

/** t statistic of paired differences: mean / (sample standard deviation / sqrt(n)); +-Infinity when they are all equal and non-zero. */
export function pairedT(diffs: readonly number[]): number {
  const n = diffs.length;
  if (n === 0) return 0;
  const mean = diffs.reduce((a, d) => a + d, 0) / n;
  const variance = n > 1 ? diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (n - 1) : 0;
  if (variance > 1e-18) return mean / Math.sqrt(variance / n);
  return mean > 1e-12 ? Infinity : mean < -1e-12 ? -Infinity : 0;
}

/**
 * Best (candidate, threshold) per profile on the series `train` (and on nothing else).
 *
 * The threshold is chosen first, on the base candidate (the first), and every candidate is
 * compared with the base at that threshold: a candidate cannot win by moving the operating point,
 * the one degree of freedom every candidate shares (moving it is what overfitted the training
 * categories). A candidate replaces the current choice only if its training score is higher and
 * the paired t statistic of its per-series raw score minus the base's exceeds SIGNIFICANT_GAIN.
 * With one candidate this is the threshold-only protocol.
 */
export function chooseOnTraining(
  scored: ScoredGrid,
  train: readonly number[],
  profiles: readonly NabProfileName[] = NAB_PROFILE_NAMES,
  probationPercent = 0.15,
): Record<NabProfileName, Choice> {
  if (scored.length === 0) throw new BadInputError('no candidate configuration');
  const seriesOf = (candidate: number): NabSeries[] => train.map((i) => scored[candidate]![i]!);
  const base = scoreNab(seriesOf(0), { profiles, probationPercent, ties: HELD_OUT_TIES });
  const best = {} as Record<NabProfileName, Choice>;
  for (const p of profiles) {
    const r = base.profiles[p];
    best[p] = { candidate: 0, threshold: r.threshold, trainScore: r.score, gainT: 0 };
  }
  for (let candidate = 1; candidate < scored.length; candidate++) {
    const series = seriesOf(candidate);
    for (const p of profiles) {
      const { threshold } = best[p];
      const r = scoreNab(series, { profiles: [p], threshold, probationPercent }).profiles[p];
      if (!(r.score > best[p].trainScore + 1e-9)) continue;
      const b = base.profiles[p].perSeries;
      const gainT = pairedT(series.map((s) => r.perSeries[s.name]!.rawScore - b[s.name]!.rawScore));
      if (gainT > SIGNIFICANT_GAIN) best[p] = { candidate, threshold, trainScore: r.score, gainT };
    }
  }
  return best;
}

/** NAB's sums over a set of files, kept so sets combine as NAB combines files. */
export interface ScoreTotals {
  readonly rawScore: number;
  readonly nullScore: number;
  readonly perfectScore: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
}

export interface LocoFoldResult extends ScoreTotals {
  readonly heldOut: string;
  readonly files: number;
  readonly windows: number;
  readonly choice: Choice;
  /** Normalised score of the held-out category alone (null without windows). */
  readonly heldOutScore: number | null;
}

export interface LocoProfileResult extends ScoreTotals {
  readonly profile: NabProfileName;
  /** The four held-out folds combined as NAB combines files. */
  readonly score: number;
  readonly precision: number;
  readonly recall: number;
  readonly folds: LocoFoldResult[];
}

export type LocoReport = Record<NabProfileName, LocoProfileResult>;

/** Runs the protocol over every fold and combines the held-out folds. */
export function leaveOneCategoryOut(scored: ScoredGrid, profiles: readonly NabProfileName[] = NAB_PROFILE_NAMES, probationPercent = 0.15): LocoReport {
  const names = (scored[0] ?? []).map((s) => s.name);
  const folds = locoFolds(names);
  const perProfile = new Map<NabProfileName, LocoFoldResult[]>(profiles.map((p) => [p, []]));
  for (const fold of folds) {
    const choices = chooseOnTraining(scored, fold.train, profiles, probationPercent);
    for (const p of profiles) {
      const choice = choices[p];
      const test = fold.test.map((i) => scored[choice.candidate]![i]!);
      const r = scoreNab(test, { profiles: [p], threshold: choice.threshold, probationPercent }).profiles[p];
      perProfile.get(p)!.push({
        heldOut: fold.heldOut,
        files: test.length,
        windows: r.windows,
        choice,
        heldOutScore: r.perfectScore > r.nullScore ? r.score : null,
        rawScore: r.rawScore,
        nullScore: r.nullScore,
        perfectScore: r.perfectScore,
        truePositives: r.truePositives,
        falsePositives: r.falsePositives,
        falseNegatives: r.falseNegatives,
      });
    }
  }
  const out = {} as LocoReport;
  for (const p of profiles) {
    const fr = perProfile.get(p)!;
    const sum = (f: (x: LocoFoldResult) => number): number => fr.reduce((a, x) => a + f(x), 0);
    const raw = sum((x) => x.rawScore);
    const nul = sum((x) => x.nullScore);
    const perfect = sum((x) => x.perfectScore);
    const tp = sum((x) => x.truePositives);
    const fp = sum((x) => x.falsePositives);
    const fn = sum((x) => x.falseNegatives);
    out[p] = {
      profile: p,
      score: perfect > nul ? (100 * (raw - nul)) / (perfect - nul) : 0,
      rawScore: raw,
      nullScore: nul,
      perfectScore: perfect,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      precision: tp + fp > 0 ? tp / (tp + fp) : 0,
      recall: tp + fn > 0 ? tp / (tp + fn) : 0,
      folds: fr,
    };
  }
  return out;
}
