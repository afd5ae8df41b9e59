/**
 * Scoring a limit warner on one labelled trace (forecast-traces.ts), the same way for ours and
 * for Prometheus's `predict_linear`:
 *
 * - a warning episode is a maximal run of consecutive evaluation times with the warning on;
 * - lead time: crossing time minus the start of the episode that is still on at the last
 *   evaluation before the crossing (the first warning that holds until the limit); 0 when no
 *   warning is on then; null for a trace that never reaches its limit;
 * - false alarm: an episode that starts before the crossing but more than `horizonMs` before it
 *   (or on a trace that never crosses): the limit did not follow within the horizon.
 *
 * Only evaluation times before the crossing count: once the limit is reached, warning is no
 * longer a forecast.
 */

export interface WarningPoint {
  readonly t: number;
  readonly on: boolean;
}

export interface TraceScore {
  readonly leadMs: number | null;
  readonly falseAlarms: number;
  readonly episodes: number;
}

export function scoreWarnings(points: readonly WarningPoint[], crossAt: number | null, horizonMs: number): TraceScore {
  let episodes = 0;
  let falseAlarms = 0;
  let episodeStart: number | null = null;
  for (const p of points) {
    if (crossAt !== null && p.t >= crossAt) break;
    if (p.on && episodeStart === null) {
      episodeStart = p.t;
      episodes++;
      if (crossAt === null || crossAt - p.t > horizonMs) falseAlarms++;
    } else if (!p.on) episodeStart = null;
  }
  const leadMs = crossAt === null ? null : episodeStart === null ? 0 : crossAt - episodeStart;
  return { leadMs, falseAlarms, episodes };
}
