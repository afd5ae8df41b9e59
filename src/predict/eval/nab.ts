/**
 * NAB (Numenta Anomaly Benchmark v1.1) scoring, as described in
 * ../shared/datasets/nab/README.md and implemented by NAB's `sweeper.py`:
 *
 * - A threshold turns scores into detections (score >= threshold). One threshold is chosen for the
 *   whole corpus, per profile: the one that maximises the corpus total (what NAB's
 *   `optimize_threshold.py` does; the threshold is therefore chosen on the corpus being scored).
 * - Probation: the first min(floor(0.15 n), 0.15 * 5000 = 750) rows of each series are ignored.
 * - Inside a window (row indices [l, r], width w = r - l + 1) a detection at row i is worth
 *   tpWeight * S(-(r - i + 1) / w) / S(-1) where S(x) = 2 / (1 + exp(5x)) - 1 (S(x) = -1 when x > 3).
 *   Only the best (= earliest, S is monotonic) detection of a window counts.
 * - A window without detection costs fnWeight.
 * - A detection outside every window costs fpWeight * S(|i - rPrev| / (wPrev - 1)) (a negative value)
 *   relative to the previous window (right edge rPrev, width wPrev); without a previous window
 *   it costs the full fpWeight.
 * - Normalised = 100 * (S - S_null) / (S_perfect - S_null), S_null = -fnWeight * windows,
 *   S_perfect = tpWeight * windows ("windows" = windows with at least one row after probation,
 *   exactly the ones NAB's null and perfect detectors are scored on).
 *
 * On top of NAB's score this module reports, at the chosen threshold:
 * - precision = detected windows / (detected windows + false-positive detections), where every
 *   detection row outside all windows (after probation) is one false positive (NAB charges each);
 * - recall = detected windows / scorable windows;
 * - lead time of each detected window, from its earliest counted detection at time td:
 *   `leadBeforeEndMs = tEnd - td` (how early before the window closes, >= 0),
 *   `delayAfterStartMs = td - tStart` (how long after the window opened, >= 0) and
 *   `leadBeforeLabelMs = tLabel - td` where tLabel is the window's centre: NAB centres each window on
 *   the labelled anomaly, so a positive value means the alarm came before the labelled anomaly.
 *   The report gives their means over detected windows.
 */

export interface NabProfile {
  readonly tpWeight: number;
  readonly fnWeight: number;
  readonly fpWeight: number;
}

export const NAB_PROFILES = {
  standard: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 },
  reward_low_FP_rate: { tpWeight: 1, fnWeight: 1, fpWeight: 0.22 },
  reward_low_FN_rate: { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 },
} as const satisfies Record<string, NabProfile>;

export type NabProfileName = keyof typeof NAB_PROFILES;
export const NAB_PROFILE_NAMES = Object.keys(NAB_PROFILES) as NabProfileName[];

/** NAB's scaled sigmoid: 2 / (1 + exp(5x)) - 1, and exactly -1 beyond x = 3. */
export function scaledSigmoid(x: number): number {
  if (x > 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

/** Number of leading rows ignored: min(floor(p * n), p * 5000). */
export function probationaryLength(n: number, probationPercent = 0.15): number {
  return Math.min(Math.floor(probationPercent * n), probationPercent * 5000);
}

/** One labelled series with the detector's scores (one per row, causal). */
export interface NabSeries {
  readonly name: string;
  /** Row timestamps in epoch ms, sorted (ties allowed). */
  readonly timestamps: ArrayLike<number>;
  readonly scores: ArrayLike<number>;
  /** Anomaly windows as [startMs, endMs], inclusive, sorted, non-overlapping. */
  readonly windows: ReadonlyArray<readonly [number, number]>;
}

/** Window as inclusive row indices. */
export interface WindowRows {
  readonly start: number;
  readonly end: number;
}

/** Maps time windows to row ranges: first row >= start .. last row <= end. Empty windows are dropped. */
export function windowRows(timestamps: ArrayLike<number>, windows: ReadonlyArray<readonly [number, number]>): WindowRows[] {
  const out: WindowRows[] = [];
  const n = timestamps.length;
  let i = 0;
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  for (const [ws, we] of sorted) {
    while (i < n && timestamps[i]! < ws) i++;
    let j = i;
    while (j < n && timestamps[j]! <= we) j++;
    if (j > i) out.push({ start: i, end: j - 1 });
    i = j;
  }
  return out;
}

/** Per-row classification and weighted sweep values of one series (profile independent parts). */
interface SweptSeries {
  readonly series: NabSeries;
  readonly windows: WindowRows[];
  /** -2 probationary, -1 outside every window, k >= 0 index of the window (local). */
  readonly label: Int32Array;
  /** Unweighted in-window reward S(p)/S(-1) (label >= 0) or unweighted FP value S(...) (<= 0, label -1). */
  readonly unweighted: Float64Array;
  /** Local window indices that contain at least one row after probation. */
  readonly scorable: boolean[];
}

function sweep(series: NabSeries, probationPercent: number): SweptSeries {
  const n = series.timestamps.length;
  if (series.scores.length !== n) {
    throw new RangeError(`${series.name}: ${series.scores.length} scores for ${n} rows`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(series.scores[i])) throw new RangeError(`${series.name}: score at row ${i} is not a finite number`);
  }
  const windows = windowRows(series.timestamps, series.windows);
  const prob = probationaryLength(n, probationPercent);
  const label = new Int32Array(n);
  const unweighted = new Float64Array(n);
  const maxTp = scaledSigmoid(-1);
  const scorable = windows.map((w) => w.end >= prob);
  let wi = 0;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const w = windows[wi];
    if (w && i >= w.start && i <= w.end) {
      const width = w.end - w.start + 1;
      unweighted[i] = scaledSigmoid(-(w.end - i + 1) / width) / maxTp;
      label[i] = wi;
      if (i === w.end) {
        prevRight = i;
        prevWidth = width;
        wi++;
      }
    } else {
      label[i] = -1;
      if (prevRight < 0) unweighted[i] = -1;
      else {
        const den = prevWidth - 1;
        unweighted[i] = den > 0 ? scaledSigmoid(Math.abs(i - prevRight) / den) : -1;
      }
    }
    if (i < prob) label[i] = -2;
  }
  return { series, windows, label, unweighted, scorable };
}

export interface WindowResult {
  readonly series: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly detected: boolean;
  readonly detectionMs?: number;
  /** Weighted contribution to the raw score (reward, or -fnWeight). */
  readonly score: number;
  readonly leadBeforeEndMs?: number;
  readonly delayAfterStartMs?: number;
  readonly leadBeforeLabelMs?: number;
}

export interface NabProfileResult {
  readonly profile: NabProfileName;
  readonly weights: NabProfile;
  readonly threshold: number;
  readonly rawScore: number;
  readonly nullScore: number;
  readonly perfectScore: number;
  /** 100 * (raw - null) / (perfect - null). */
  readonly score: number;
  readonly windows: number;
  readonly truePositives: number;
  readonly falseNegatives: number;
  /** Detection rows outside every window (after probation). */
  readonly falsePositives: number;
  readonly precision: number;
  readonly recall: number;
  readonly meanLeadBeforeEndMs: number | null;
  readonly meanDelayAfterStartMs: number | null;
  readonly meanLeadBeforeLabelMs: number | null;
  readonly perSeries: Record<string, { rawScore: number; tp: number; fn: number; fp: number }>;
  readonly windowResults: WindowResult[];
}

export interface NabReport {
  readonly series: number;
  readonly rows: number;
  readonly windows: number;
  readonly profiles: Record<NabProfileName, NabProfileResult>;
}

export interface NabOptions {
  readonly probationPercent?: number;
  readonly profiles?: readonly NabProfileName[];
  /** Use this threshold instead of optimising one over the corpus. */
  readonly threshold?: number;
  /**
   * Which of several thresholds with the same best total to keep: 'higher' (default) or 'lower'
   * (more detections; see loco.ts for why a held-out choice wants it).
   */
  readonly ties?: ThresholdTies;
}

export type ThresholdTies = 'higher' | 'lower';

/**
 * Best corpus-wide threshold for a profile: sweeps every distinct score from high to low
 * (detections = rows with score >= threshold) and keeps the one with the highest total.
 * Ties go to the highest threshold, or with `ties: 'lower'` to the lowest. The null detector
 * (threshold above every score) is the start.
 */
function optimiseThreshold(swept: SweptSeries[], profile: NabProfile, ties: ThresholdTies): { threshold: number; score: number } {
  // Gather the rows that can change the score (after probation).
  let count = 0;
  for (const s of swept) for (let i = 0; i < s.label.length; i++) if (s.label[i] !== -2) count++;
  const scores = new Float64Array(count);
  const weighted = new Float64Array(count);
  const windowId = new Int32Array(count);
  let nWindows = 0;
  let k = 0;
  for (const s of swept) {
    const base = nWindows;
    for (let i = 0; i < s.label.length; i++) {
      const l = s.label[i]!;
      if (l === -2) continue;
      scores[k] = s.series.scores[i]!;
      if (l === -1) {
        windowId[k] = -1;
        weighted[k] = s.unweighted[i]! * profile.fpWeight;
      } else {
        windowId[k] = base + l;
        weighted[k] = s.unweighted[i]! * profile.tpWeight;
      }
      k++;
    }
    nWindows += s.windows.length;
  }
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  const best = new Float64Array(nWindows);
  let total = 0;
  const scorableIds: boolean[] = [];
  for (const s of swept) for (const sc of s.scorable) scorableIds.push(sc);
  for (let w = 0; w < nWindows; w++) {
    best[w] = scorableIds[w] ? -profile.fnWeight : 0;
    total += best[w]!;
  }
  let bestThreshold = Infinity;
  let bestScore = total;
  for (let j = 0; j < count;) {
    const thr = scores[order[j]!]!;
    // Apply every row with this exact score, then evaluate the threshold.
    while (j < count && scores[order[j]!] === thr) {
      const r = order[j]!;
      const w = windowId[r]!;
      if (w < 0) total += weighted[r]!;
      else if (weighted[r]! > best[w]!) {
        total += weighted[r]! - best[w]!;
        best[w] = weighted[r]!;
      }
      j++;
    }
    if (total > bestScore + 1e-12 || (ties === 'lower' && total >= bestScore - 1e-12)) {
      if (total > bestScore) bestScore = total;
      bestThreshold = thr;
    }
  }
  return { threshold: bestThreshold, score: bestScore };
}

function scoreAtThreshold(swept: SweptSeries[], profileName: NabProfileName, threshold: number): NabProfileResult {
  const profile = NAB_PROFILES[profileName];
  let raw = 0;
  let tp = 0;
  let fn = 0;
  let fp = 0;
  let nWindows = 0;
  const perSeries: NabProfileResult['perSeries'] = {};
  const windowResults: WindowResult[] = [];
  const leadEnd: number[] = [];
  const delayStart: number[] = [];
  const leadLabel: number[] = [];
  for (const s of swept) {
    const ts = s.series.timestamps;
    const firstDet = new Array<number>(s.windows.length).fill(-1);
    let sFp = 0;
    let sRaw = 0;
    for (let i = 0; i < s.label.length; i++) {
      const l = s.label[i]!;
      if (l === -2 || !(s.series.scores[i]! >= threshold)) continue;
      if (l === -1) {
        sFp++;
        sRaw += s.unweighted[i]! * profile.fpWeight;
      } else if (firstDet[l] === -1) firstDet[l] = i;
    }
    let sTp = 0;
    let sFn = 0;
    s.windows.forEach((w, wi) => {
      if (!s.scorable[wi]) return;
      nWindows++;
      const startMs = ts[w.start]!;
      const endMs = ts[w.end]!;
      const d = firstDet[wi]!;
      if (d < 0) {
        sFn++;
        sRaw -= profile.fnWeight;
        windowResults.push({ series: s.series.name, startMs, endMs, detected: false, score: -profile.fnWeight });
        return;
      }
      sTp++;
      const reward = s.unweighted[d]! * profile.tpWeight;
      sRaw += reward;
      const td = ts[d]!;
      const labelMs = (startMs + endMs) / 2;
      leadEnd.push(endMs - td);
      delayStart.push(td - startMs);
      leadLabel.push(labelMs - td);
      windowResults.push({
        series: s.series.name,
        startMs,
        endMs,
        detected: true,
        detectionMs: td,
        score: reward,
        leadBeforeEndMs: endMs - td,
        delayAfterStartMs: td - startMs,
        leadBeforeLabelMs: labelMs - td,
      });
    });
    tp += sTp;
    fn += sFn;
    fp += sFp;
    raw += sRaw;
    perSeries[s.series.name] = { rawScore: sRaw, tp: sTp, fn: sFn, fp: sFp };
  }
  const nullScore = -profile.fnWeight * nWindows;
  const perfectScore = profile.tpWeight * nWindows;
  const mean = (a: number[]): number | null => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null);
  return {
    profile: profileName,
    weights: profile,
    threshold,
    rawScore: raw,
    nullScore,
    perfectScore,
    score: perfectScore > nullScore ? (100 * (raw - nullScore)) / (perfectScore - nullScore) : 0,
    windows: nWindows,
    truePositives: tp,
    falseNegatives: fn,
    falsePositives: fp,
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
    recall: nWindows > 0 ? tp / nWindows : 0,
    meanLeadBeforeEndMs: mean(leadEnd),
    meanDelayAfterStartMs: mean(delayStart),
    meanLeadBeforeLabelMs: mean(leadLabel),
    perSeries,
    windowResults,
  };
}

/** Scores a corpus under each NAB profile, each with its own corpus-wide optimal threshold. */
export function scoreNab(corpus: readonly NabSeries[], opts: NabOptions = {}): NabReport {
  const swept = corpus.map((s) => sweep(s, opts.probationPercent ?? 0.15));
  const names = opts.profiles ?? NAB_PROFILE_NAMES;
  const profiles = {} as Record<NabProfileName, NabProfileResult>;
  for (const name of names) {
    const threshold = opts.threshold ?? optimiseThreshold(swept, NAB_PROFILES[name], opts.ties ?? 'higher').threshold;
    profiles[name] = scoreAtThreshold(swept, name, threshold);
  }
  let rows = 0;
  let windows = 0;
  for (const s of swept) {
    rows += s.label.length;
    windows += s.scorable.filter(Boolean).length;
  }
  return { series: corpus.length, rows, windows, profiles };
}

/** Compact one-line-per-profile summary of a report (for logs and CLIs). */
export function summariseNab(
  report: NabReport,
): Record<
  string,
  { score: number; threshold: number; precision: number; recall: number; tp: number; fp: number; fn: number; meanLeadBeforeEndMin: number | null }
> {
  const out: ReturnType<typeof summariseNab> = {};
  for (const [name, r] of Object.entries(report.profiles)) {
    out[name] = {
      score: Math.round(r.score * 100) / 100,
      threshold: r.threshold,
      precision: Math.round(r.precision * 1000) / 1000,
      recall: Math.round(r.recall * 1000) / 1000,
      tp: r.truePositives,
      fp: r.falsePositives,
      fn: r.falseNegatives,
      meanLeadBeforeEndMin: r.meanLeadBeforeEndMs === null ? null : Math.round(r.meanLeadBeforeEndMs / 60000),
    };
  }
  return out;
}
