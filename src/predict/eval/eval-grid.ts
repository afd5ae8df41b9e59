/**
 * The small grid of scorer configurations the leave-one-category-out protocol chooses from
 * (loco.ts). Every candidate is the base configuration with a few corpus-wide settings
 * overridden; none depends on a file's name, length or labels. The first candidate is the
 * base itself: the protocol compares every other candidate with it (loco.ts, chooseOnTraining).
 * The headline is the base alone (singleCandidate).
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

/**
 * Settings varied one at a time around the base (34 candidates, the base first): detector
 * thresholds, the refractory period and ramp, the level and seasonal detectors' smoothing, the
 * level detector's range gain and clip, the season's correlation floor, the records' memory.
 * A wider net than smallGrid, to check that the selection rule holds when there are more
 * candidates to overfit with.
 */
export const AXES_GRID = {
  thresholds: { level: [0.12, 0.16], seasonal: [0.1, 0.12, 0.17, 0.2] },
  refractory: { points: [150, 200, 450, 600], factor: [0.7, 0.9] },
  ramp: { start: [0.7, 0.9, 1], points: [300, 1200] },
  level: { shortAlpha: [0.15, 0.3], longAlpha: [0.003, 0.008], rangeGain: [5, 20], clip: [3, 6] },
  seasonal: { profileAlpha: [0.05, 0.2], residualAlpha: [0.005, 0.02], minCorrelation: [0.2, 0.4] },
} as const;
export const AXES_GRID_MEMORY = [4320, 17280] as const;

export function axesGrid(base: SeriesScorerConfigInput = {}): GridCandidate[] {
  const out: GridCandidate[] = [{ label: 'base', config: base }];
  for (const [group, settings] of Object.entries(AXES_GRID) as Array<[keyof typeof AXES_GRID, Record<string, readonly number[]>]>) {
    const inBase = (base[group] || {}) as Record<string, unknown>;
    for (const [key, values] of Object.entries(settings)) {
      for (const v of values) out.push({ label: `${group}.${key}=${v}`, config: { ...base, [group]: { ...inBase, [key]: v } } });
    }
  }
  for (const memory of AXES_GRID_MEMORY) out.push({ label: `memory=${memory}`, config: { ...base, memory } });
  return out;
}

/** The base configuration alone: the protocol then chooses only the threshold. */
export function singleCandidate(base: SeriesScorerConfigInput = {}): GridCandidate[] {
  return [{ label: 'base', config: base }];
}
