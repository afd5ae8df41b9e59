/**
 * Evaluation: run the streaming scorer over labelled NAB-style series and score it with NAB's
 * rules (nab.ts).
 *
 * Protocol, as in NAB itself: every series is scored on its own, causally, row by row (one score
 * per CSV row, no resampling: NAB scores rows); the detector is told the probationary length
 * (NAB gives its detectors 15 % of the file's rows, at most 750) and uses it as its warm-up; the
 * threshold is one per profile for the whole corpus, optimised on the corpus (what NAB's
 * optimize_threshold.py does). Nothing else comes from the file or its labels. That in-sample
 * figure is secondary: loco-eval.ts gives the headline, leave-one-category-out.
 */
import { readFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { BadInputError } from '../../common/errors';
import { parseOrThrow } from '../../common/zod-errors';
import { parseTimestamp, readCsv } from '../sources/csv';
import { probationaryLength, scoreNab } from './nab';
import type { NabOptions, NabProfileName, NabReport, NabSeries } from './nab';
import { SeriesScorer } from '../detectors/scorer';
import type { SeriesScorerConfigInput } from '../detectors/scorer';

/** Options of the scorer for one labelled series of `rows` rows. */
export interface EvalDetectorOptions {
  /** Scorer configuration; `warmup` defaults to NAB's probationary length of the series. */
  readonly scorer?: SeriesScorerConfigInput;
  readonly probationPercent?: number;
}

/**
 * Scores a whole series with a fresh scorer, causally (score i uses rows 0..i only).
 * A non-finite value gets the previous score.
 */
export function scoreValues(timestamps: ArrayLike<number>, values: ArrayLike<number>, opts: EvalDetectorOptions = {}): Float64Array {
  const n = values.length;
  const warmup = opts.scorer?.warmup ?? probationaryLength(n, opts.probationPercent ?? 0.15);
  const scorer = new SeriesScorer({ ...opts.scorer, warmup: Math.floor(warmup) });
  const out = new Float64Array(n);
  const sample = { t: 0, v: 0 };
  for (let i = 0; i < n; i++) {
    sample.t = timestamps[i]!;
    sample.v = values[i]!;
    out[i] = scorer.update(sample);
  }
  return out;
}

const windowsFileSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));

/** Reads a NAB windows file: relative data path -> [[start, end], ...] as epoch ms. */
export async function readWindows(windowsFile: string): Promise<Map<string, Array<[number, number]>>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(windowsFile, 'utf8'));
  } catch (err) {
    throw new BadInputError(`windows file ${windowsFile}: ${(err as Error).message}`);
  }
  const parsed = parseOrThrow(windowsFileSchema, raw, `windows file ${windowsFile}`);
  const out = new Map<string, Array<[number, number]>>();
  for (const [file, ws] of Object.entries(parsed)) {
    out.set(
      file,
      ws.map(([a, b]) => {
        const s = parseTimestamp(a);
        const e = parseTimestamp(b);
        if (Number.isNaN(s) || Number.isNaN(e)) throw new BadInputError(`windows file: bad timestamp in ${file}`);
        return [s, e] as [number, number];
      }),
    );
  }
  return out;
}

async function listCsv(dir: string, rel = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listCsv(dir, r)));
    else if (e.name.endsWith('.csv')) out.push(r);
  }
  return out;
}

export interface EvaluateCorpusOptions extends EvalDetectorOptions {
  /** Directory of CSV files (relative paths are the keys of the windows file). */
  readonly dataDir: string;
  readonly windowsFile: string;
  readonly profiles?: readonly NabProfileName[];
  /** Fixed threshold instead of the corpus optimum. */
  readonly threshold?: number;
  /** Only files whose relative path contains this. */
  readonly filter?: string;
}

export interface CorpusEvaluation {
  readonly report: NabReport;
  /** Rows scored per second (scoring only, single thread). */
  readonly rowsPerSecond: number;
  readonly files: string[];
}

/** One labelled series as read from disk. */
export interface LabelledSeries {
  /** Path relative to the data directory (its first segment is the category). */
  readonly name: string;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly windows: ReadonlyArray<readonly [number, number]>;
}

/** Reads every labelled CSV under `dataDir` (files without an entry in the windows file are skipped). */
export async function loadLabelledCorpus(opts: Pick<EvaluateCorpusOptions, 'dataDir' | 'windowsFile' | 'filter'>): Promise<LabelledSeries[]> {
  const windows = await readWindows(opts.windowsFile);
  const files = (await listCsv(opts.dataDir)).filter((f) => windows.has(f) && (!opts.filter || f.includes(opts.filter)));
  if (files.length === 0) throw new BadInputError(`no labelled CSV files under ${opts.dataDir}`);
  const out: LabelledSeries[] = [];
  for (const f of files) {
    const csv = await readCsv(path.join(opts.dataDir, f));
    out.push({ name: f, timestamps: csv.timestamps, values: csv.values, windows: windows.get(f)! });
  }
  return out;
}

/** Scores every series of a corpus with one configuration; also returns the scoring time. */
export function scoreCorpus(corpus: readonly LabelledSeries[], opts: EvalDetectorOptions): { series: NabSeries[]; scoringMs: number; rows: number } {
  const series: NabSeries[] = [];
  let scoringMs = 0;
  let rows = 0;
  for (const s of corpus) {
    const t0 = performance.now();
    const scores = scoreValues(s.timestamps, s.values, opts);
    scoringMs += performance.now() - t0;
    rows += s.values.length;
    series.push({ name: s.name, timestamps: s.timestamps, scores, windows: s.windows });
  }
  return { series, scoringMs, rows };
}

/**
 * Scores every labelled CSV under `dataDir` with one configuration and returns the in-sample NAB
 * report (the threshold is optimised on the very series it scores).
 */
export async function evaluateCorpus(opts: EvaluateCorpusOptions): Promise<CorpusEvaluation> {
  const corpus = await loadLabelledCorpus(opts);
  const { series, scoringMs, rows } = scoreCorpus(corpus, opts);
  const nabOpts: NabOptions = {
    ...(opts.probationPercent !== undefined ? { probationPercent: opts.probationPercent } : {}),
    ...(opts.profiles ? { profiles: opts.profiles } : {}),
    ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
  };
  return { report: scoreNab(series, nabOpts), rowsPerSecond: scoringMs > 0 ? (rows / scoringMs) * 1000 : 0, files: corpus.map((s) => s.name) };
}
