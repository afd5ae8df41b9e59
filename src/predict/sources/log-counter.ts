/**
 * Log source: tails a file from a saved cursor and counts matches of configured patterns per
 * interval (GPU XID errors, OOM kills, I/O errors, ...), giving one sample per pattern and
 * interval.
 *
 * - The cursor (plain JSON, carried by the workflow) holds the byte offset, the file identity
 *   (inode and a fingerprint of its first bytes), an incomplete last line and the counts of the
 *   interval still open.
 * - Rotation (the file was renamed and a new one created): the rest of the old file is read from
 *   the first of `rotatedPaths` (default `<path>.1`) that has the old inode, then the new file
 *   from its start. Truncation (copytruncate: same inode, smaller than the offset) or a
 *   different fingerprint: the file is read again from its start.
 * - A line's interval comes from its own timestamp when `timestampRegex` captures one, otherwise
 *   from the time it was read (`now`). Intervals before `now`'s are closed and emitted (with
 *   zeros for intervals without matches); lines for an interval already emitted are counted as
 *   late and dropped.
 */
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { parseOrThrow } from '../../common/zod-errors';
import { parseTimestamp } from './csv';
import type { Sample } from '../series';

export const logPatternSchema = z
  .object({
    name: z.string().min(1),
    regex: z.string().min(1),
    flags: z
      .string()
      .regex(/^[imsu]*$/)
      .default(''),
  })
  .strict();
export type LogPattern = z.input<typeof logPatternSchema>;

/** Common signals of an AI node going bad. */
export const DEFAULT_LOG_PATTERNS: LogPattern[] = [
  { name: 'gpu_xid', regex: 'NVRM: Xid', flags: '' },
  { name: 'oom_kill', regex: 'Out of memory: Kill|oom-kill:|invoked oom-killer', flags: 'i' },
  { name: 'io_error', regex: 'I/O error|blk_update_request: .*error|EXT4-fs error|XFS .*error', flags: 'i' },
  { name: 'ecc_error', regex: 'uncorrectable ECC|ECC error|Machine Check', flags: 'i' },
];

export const logCounterConfigSchema = z
  .object({
    path: z.string().min(1),
    patterns: z.array(logPatternSchema).min(1).default(DEFAULT_LOG_PATTERNS),
    intervalMs: z.number().int().positive().default(60_000),
    /** Regex with one capture group holding the line's timestamp (csv.parseTimestamp formats). */
    timestampRegex: z.string().optional(),
    /** Where a rotated file may be found. */
    rotatedPaths: z.array(z.string()).optional(),
    /** Bytes read per call at most (the rest waits for the next call). */
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /** Longer incomplete lines are dropped. */
    maxLineBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
  })
  .strict();
export type LogCounterConfig = z.input<typeof logCounterConfigSchema>;

const FINGERPRINT_BYTES = 64;

export const logCursorSchema = z
  .object({
    offset: z.number().int().nonnegative(),
    inode: z.number().nullable(),
    /** Hex of the first bytes of the file (up to 64) when the cursor was saved. */
    fingerprint: z.string(),
    /** Incomplete last line, base64. */
    partial: z.string(),
    /** Start of the open interval (null before the first call). */
    openStart: z.number().nullable(),
    /** Counts of the open interval per pattern. */
    openCounts: z.record(z.string(), z.number().int().nonnegative()),
  })
  .strict();
export type LogCursor = z.infer<typeof logCursorSchema>;

export const EMPTY_LOG_CURSOR: LogCursor = { offset: 0, inode: null, fingerprint: '', partial: '', openStart: null, openCounts: {} };

export interface LogCountResult {
  /** Closed intervals per pattern name (t = interval start, v = matches). */
  readonly samples: Record<string, Sample[]>;
  readonly cursor: LogCursor;
  readonly stats: { bytesRead: number; lines: number; matched: number; late: number; rotated: boolean; truncated: boolean; missing: boolean };
}

async function fingerprintOf(fh: FileHandle, size: number): Promise<string> {
  const n = Math.min(FINGERPRINT_BYTES, size);
  if (n === 0) return '';
  const buf = Buffer.alloc(n);
  await fh.read(buf, 0, n, 0);
  return buf.toString('hex');
}

/** Reads [from, to) of an open file. */
async function readRange(fh: FileHandle, from: number, to: number): Promise<Buffer> {
  const len = Math.max(0, to - from);
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, from + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === len ? buf : buf.subarray(0, got);
}

/**
 * Reads what was appended since the cursor and counts pattern matches per interval.
 * `now` (epoch ms) closes every interval that ended at or before it.
 */
export async function countLogMatches(config: LogCounterConfig, cursor: LogCursor, now: number): Promise<LogCountResult> {
  const cfg = parseOrThrow(logCounterConfigSchema, config, 'log counter config');
  const cur = parseOrThrow(logCursorSchema, cursor, 'log cursor');
  const patterns = cfg.patterns.map((p) => ({ name: p.name, re: new RegExp(p.regex, p.flags) }));
  const tsRe = cfg.timestampRegex ? new RegExp(cfg.timestampRegex) : null;
  const step = cfg.intervalMs;
  const nowStart = Math.floor(now / step) * step;
  const stats = { bytesRead: 0, lines: 0, matched: 0, late: 0, rotated: false, truncated: false, missing: false };

  // interval bookkeeping
  let openStart = cur.openStart ?? nowStart;
  const counts = new Map<number, Map<string, number>>();
  counts.set(openStart, new Map(Object.entries(cur.openCounts)));
  const countLine = (line: string): void => {
    stats.lines++;
    let bucket = nowStart;
    if (tsRe) {
      const m = tsRe.exec(line);
      const t = m?.[1] !== undefined ? parseTimestamp(m[1]) : NaN;
      if (Number.isFinite(t)) bucket = Math.floor(t / step) * step;
    }
    for (const p of patterns) {
      if (!p.re.test(line)) continue;
      if (bucket < openStart) {
        stats.late++;
        continue;
      }
      stats.matched++;
      let m = counts.get(bucket);
      if (!m) counts.set(bucket, (m = new Map()));
      m.set(p.name, (m.get(p.name) ?? 0) + 1);
    }
  };

  let partial: Buffer = Buffer.from(cur.partial, 'base64');
  let budget = cfg.maxBytes;
  const consume = (chunk: Buffer, final: boolean): void => {
    const data = partial.length ? Buffer.concat([partial, chunk]) : chunk;
    let start = 0;
    for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, start)) {
      countLine(data.toString('utf8', start, i > start && data[i - 1] === 13 ? i - 1 : i));
      start = i + 1;
    }
    partial = data.subarray(start);
    if (final && partial.length) {
      countLine(partial.toString('utf8'));
      partial = Buffer.alloc(0);
    }
    if (partial.length > cfg.maxLineBytes) partial = Buffer.alloc(0);
  };

  let offset = cur.offset;
  let inode = cur.inode;
  let fingerprint = cur.fingerprint;
  let st: Awaited<ReturnType<typeof stat>> | null = null;
  try {
    st = await stat(cfg.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    stats.missing = true;
  }

  if (st && inode !== null && st.ino !== inode) {
    // rotated: finish the old file if we can find it
    stats.rotated = true;
    for (const p of cfg.rotatedPaths ?? [`${cfg.path}.1`]) {
      const old = await stat(p).catch(() => null);
      if (!old || old.ino !== inode) continue;
      const fh = await open(p, 'r');
      try {
        if (old.size >= offset) {
          const end = Math.min(old.size, offset + budget);
          const chunk = await readRange(fh, offset, end);
          budget -= chunk.length;
          stats.bytesRead += chunk.length;
          consume(chunk, true);
        }
      } finally {
        await fh.close();
      }
      break;
    }
    partial = Buffer.alloc(0);
    offset = 0;
    fingerprint = '';
  }

  if (st) {
    const fh = await open(cfg.path, 'r');
    try {
      const size = st.size;
      const fp = await fingerprintOf(fh, size);
      const knownPrefix = fingerprint.length > 0 && fp.length > 0 && !(fp.startsWith(fingerprint) || fingerprint.startsWith(fp));
      if (size < offset || knownPrefix) {
        stats.truncated = true;
        offset = 0;
        partial = Buffer.alloc(0);
      }
      const end = Math.min(size, offset + Math.max(0, budget));
      if (end > offset) {
        const chunk = await readRange(fh, offset, end);
        stats.bytesRead += chunk.length;
        offset += chunk.length;
        consume(chunk, false);
      }
      inode = st.ino;
      fingerprint = size >= FINGERPRINT_BYTES || fingerprint.length < fp.length ? fp : fingerprint;
    } finally {
      await fh.close();
    }
  }

  // close every interval before now's
  const samples: Record<string, Sample[]> = Object.fromEntries(patterns.map((p) => [p.name, [] as Sample[]]));
  for (let b = openStart; b < nowStart; b += step) {
    const m = counts.get(b);
    for (const p of patterns) samples[p.name]!.push({ t: b, v: m?.get(p.name) ?? 0 });
  }
  if (nowStart > openStart) openStart = nowStart;
  const open_ = counts.get(openStart) ?? new Map<string, number>();
  // matches dated after now (clock skew) are folded into the open interval
  for (const [b, m] of counts) {
    if (b <= openStart) continue;
    for (const [k, v] of m) open_.set(k, (open_.get(k) ?? 0) + v);
  }
  return {
    samples,
    cursor: { offset, inode, fingerprint, partial: partial.toString('base64'), openStart, openCounts: Object.fromEntries(open_) },
    stats,
  };
}
