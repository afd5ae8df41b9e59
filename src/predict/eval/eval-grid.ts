/**
 * The small grid of scorer configurations the leave-one-category-out protocol chooses from
 * (loco.ts). Every candidate is the base configuration with a few corpus-wide settings
 * overridden; none depends on a file's name, length or labels. The first candidate is the
 * base itself, so ties keep the defaults. The headline is the base alone (singleCandidate):
 * choosing among 18 candidates on three categories overfits them (see the README).
 */
import type { SeriesScorerConfigInput } from '../detectors/scorer';

export interface GridCandidate {
  /** Short human-readable label, e.g. `seasonal=0.1 refractory=150`. */
  readonly label: string;
  readonly config: SeriesScorerConfigInput;
}

/** Settings varied by the small grid (3 x 3 x 2 = 18 candidates). */
export const SMALL_GRID_AXES = {
  /** Raw seasonal threshold relative to the level detector's: the combiner's weight of the two. */
  seasonalThreshold: [0.14, 0.1, 0.2],
  /** Points of the refractory period after an alarm. */
  refractoryPoints: [300, 150, 600],
  /** Start of the confidence ramp after the warm-up. */
  rampStart: [0.8, 1],
} as const;

/** Base configuration merged with each combination of the axes (the base values first). */
export function smallGrid(base: SeriesScorerConfigInput = {}): GridCandidate[] {
  const out: GridCandidate[] = [];
  for (const seasonal of SMALL_GRID_AXES.seasonalThreshold) {
    for (const points of SMALL_GRID_AXES.refractoryPoints) {
      for (const start of SMALL_GRID_AXES.rampStart) {
        out.push({
          label: `seasonal=${seasonal} refractory=${points} ramp=${start}`,
          config: {
            ...base,
            thresholds: { ...base.thresholds, seasonal },
            refractory: { ...base.refractory, points },
            ramp: { ...base.ramp, start },
          },
        });
      }
    }
  }
  return out;
}

/** The base configuration alone: the protocol then chooses only the threshold. */
export function singleCandidate(base: SeriesScorerConfigInput = {}): GridCandidate[] {
  return [{ label: 'base', config: base }];
}
