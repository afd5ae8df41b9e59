/**
 * NAB-style CSV (`timestamp,value`, header line, one row per sample) reading and writing.
 * Timestamps: "YYYY-MM-DD HH:MM:SS[.ffffff]" (NAB, read as UTC), ISO 8601, or epoch numbers
 * (seconds below 1e11, milliseconds above).
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { BadInputError } from '../../common/errors';

const NAB_TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses a timestamp to epoch ms; NaN when it cannot be read. */
export function parseTimestamp(text: string): number {
  const s = text.trim();
  const m = NAB_TS.exec(s);
  if (m) {
    const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
    const base = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0) + Math.round(frac);
    if (!m[8] || m[8] === 'Z') return base;
    const sign = m[8][0] === '-' ? -1 : 1;
    const digits = m[8].slice(1).replace(':', '');
    return base - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return Math.abs(n) < 1e11 ? n * 1000 : n;
  }
  const d = Date.parse(s);
  return Number.isNaN(d) ? NaN : d;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Formats epoch ms as NAB does: "YYYY-MM-DD HH:MM:SS" in UTC (milliseconds only when present). */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const milli = d.getUTCMilliseconds();
  return milli ? `${base}.${pad(milli, 3)}` : base;
}

/** One CSV row as read: the timestamp text is kept so output can echo it unchanged. */
export interface CsvRow {
  readonly line: number;
  readonly timestampText: string;
  readonly valueText: string;
  readonly t: number;
  /** NaN when the value is missing or not a number. */
  readonly v: number;
}

export interface CsvSeries {
  readonly header: string;
  readonly timestampText: string[];
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

function splitRow(line: string, lineNo: number, source: string): [string, string] {
  const comma = line.indexOf(',');
  if (comma < 0) throw new BadInputError(`${source}:${lineNo}: expected "timestamp,value"`);
  const ts = line.slice(0, comma).trim().replace(/^"|"$/g, '');
  const rest = line.slice(comma + 1);
  const c2 = rest.indexOf(',');
  const val = (c2 < 0 ? rest : rest.slice(0, c2)).trim().replace(/^"|"$/g, '');
  return [ts, val];
}

function isHeader(line: string): boolean {
  const first = line.split(',')[0]!.trim().replace(/^"|"$/g, '');
  return Number.isNaN(parseTimestamp(first));
}

function toRow(line: string, lineNo: number, source: string): CsvRow {
  const [timestampText, valueText] = splitRow(line, lineNo, source);
  const t = parseTimestamp(timestampText);
  if (Number.isNaN(t)) throw new BadInputError(`${source}:${lineNo}: unreadable timestamp "${timestampText}"`);
  const v = valueText === '' ? NaN : Number(valueText);
  return { line: lineNo, timestampText, valueText, t, v };
}

/** Streams the rows of a CSV file (header detected and skipped). */
export async function* readCsvRows(path: string): AsyncGenerator<CsvRow> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const raw of rl) {
      lineNo++;
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      if (lineNo === 1 && isHeader(line)) continue;
      yield toRow(line, lineNo, path);
    }
  } finally {
    rl.close();
  }
}

/** Parses CSV text into columns (header detected and skipped). */
export function parseCsv(text: string, source = 'csv'): CsvSeries {
  const lines = text.split(/\r?\n/);
  let header = 'timestamp,value';
  const ts: string[] = [];
  const t: number[] = [];
  const v: number[] = [];
  lines.forEach((raw, idx) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (idx === 0 && isHeader(line)) {
      header = line;
      return;
    }
    const row = toRow(line, idx + 1, source);
    ts.push(row.timestampText);
    t.push(row.t);
    v.push(row.v);
  });
  return { header, timestampText: ts, timestamps: Float64Array.from(t), values: Float64Array.from(v) };
}

/** Reads a whole CSV file into columns. */
export async function readCsv(path: string): Promise<CsvSeries> {
  return parseCsv(await readFile(path, 'utf8'), path);
}
