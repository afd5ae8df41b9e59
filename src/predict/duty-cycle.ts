/**
 * Duty cycles of the seed's models: P(B), the fraction of time spent backing up, and P(W), the
 * fraction of time spent computing predictions, over a window. Here: the busy fraction of a set
 * of (possibly overlapping) intervals clipped to [from, to].
 */
export interface Interval {
  start: number;
  /** null: still running (counts up to `to`). */
  end: number | null;
}

/** Busy time of the union of the intervals within [from, to], as a fraction of (to - from). */
export function busyFraction(intervals: readonly Interval[], from: number, to: number): number {
  if (!(to > from)) return 0;
  const clipped = intervals
    .map((i) => ({ s: Math.max(from, i.start), e: Math.min(to, i.end ?? to) }))
    .filter((i) => i.e > i.s)
    .sort((a, b) => a.s - b.s);
  let busy = 0;
  let curS = -Infinity;
  let curE = -Infinity;
  for (const i of clipped) {
    if (i.s > curE) {
      if (curE > curS) busy += curE - curS;
      curS = i.s;
      curE = i.e;
    } else if (i.e > curE) curE = i.e;
  }
  if (curE > curS) busy += curE - curS;
  return Math.min(1, busy / (to - from));
}
