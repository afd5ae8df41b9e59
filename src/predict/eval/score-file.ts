/**
 * Scores a NAB-style CSV (timestamp,value) into `timestamp,value,anomaly_score`, causally (each
 * score uses rows up to its own), streaming row by row to a Writable.
 */
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { readCsvRows } from '../sources/csv';
import { probationaryLength } from './nab';
import { SeriesScorer } from '../detectors/scorer';
import type { SeriesScorerConfigInput } from '../detectors/scorer';

export interface ScoreCsvOptions {
  /** Scorer settings; `warmup` defaults to NAB's probationary length of the file (15 % of rows, at most 750). */
  readonly scorer?: SeriesScorerConfigInput;
  /** Digits after the decimal point of the score (default: full precision). */
  readonly precision?: number;
}

export interface ScoreCsvSummary {
  readonly rows: number;
  readonly warmup: number;
  readonly maxScore: number;
  /** Rows scored at or above 0.5 (the warning level). */
  readonly alarms: number;
}

async function countRows(path: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    for (let i = 0; i < buf.length; i++) if (buf[i] === 10) lines++;
    if (buf.length) last = buf[buf.length - 1]!;
  }
  if (last !== 10) lines++;
  return Math.max(0, lines - 1); // header
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Scores `inputPath` and writes the scored CSV to `out` (not ended: the caller owns it). */
export async function scoreCsv(inputPath: string, out: Writable, opts: ScoreCsvOptions = {}): Promise<ScoreCsvSummary> {
  const warmup = opts.scorer?.warmup ?? probationaryLength(await countRows(inputPath));
  const scorer = new SeriesScorer({ ...opts.scorer, warmup: Math.floor(warmup) });
  const sample = { t: 0, v: 0 };
  let rows = 0;
  let maxScore = 0;
  let alarms = 0;
  let buf = 'timestamp,value,anomaly_score\n';
  for await (const row of readCsvRows(inputPath)) {
    sample.t = row.t;
    sample.v = row.v;
    const s = scorer.update(sample);
    rows++;
    if (s > maxScore) maxScore = s;
    if (s >= 0.5) alarms++;
    buf += `${row.timestampText},${row.valueText},${opts.precision === undefined ? String(s) : s.toFixed(opts.precision)}\n`;
    if (buf.length > 65536) {
      await write(out, buf);
      buf = '';
    }
  }
  if (buf) await write(out, buf);
  return { rows, warmup: Math.floor(warmup), maxScore, alarms };
}
