import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { showPath } from '../fs/raw-path';
import type { ChunkRef, ChunkTask, ChunkTaskResult, SegmentResult } from './chunk-task';
import { makeCutter } from './fastcdc';

/**
 * Read, chunk and hash every segment of a task into one buffer. Runs inside a worker thread,
 * and directly in-process when no pool is wanted.
 */
export function chunkSegments(task: ChunkTask): ChunkTaskResult {
  const total = task.segments.reduce((s, g) => s + (g.end - g.start), 0);
  const buf = Buffer.allocUnsafeSlow(total);
  const results = chunkEach(task, buf, (seg, base, want) => {
    try {
      const got = readRange(seg.path, seg.start, buf, base, want);
      if (got !== want)
        return { error: `${showPath(seg.path)}: file changed during backup (expected ${want} bytes at ${seg.start}, read ${got})`, code: 'CHANGED' };
      return undefined;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { error: `${showPath(seg.path)}: ${err.code ?? ''} ${err.message}`.trim(), code: err.code };
    }
  });
  return { taskId: task.taskId, data: buf.buffer as ArrayBuffer, results };
}

/** Chunk each segment, back to back in `buf`, unless `fill` (which may put its bytes there first) reports its failure. */
function chunkEach(
  task: ChunkTask,
  buf: Buffer,
  fill?: (seg: ChunkTask['segments'][number], base: number, want: number) => SegmentResult | undefined,
): SegmentResult[] {
  const cutter = makeCutter(task.params);
  const idKey = idKeyOf(task);
  const results: SegmentResult[] = [];
  let base = 0;
  for (const seg of task.segments) {
    const want = seg.end - seg.start;
    results.push(fill?.(seg, base, want) ?? { chunks: cutRange(cutter, idKey, buf, base, want) });
    base += want;
  }
  return results;
}

type Cutter = ReturnType<typeof makeCutter>;

// one KeyObject per key for the worker's life: a raw Buffer key costs a key object per chunk (see blob-cipher.ts)
let lastKey: { hex: string; key: KeyObject } | undefined;
function idKeyOf(task: ChunkTask): KeyObject | undefined {
  if (!task.idKeyHex) return undefined;
  if (lastKey?.hex !== task.idKeyHex) lastKey = { hex: task.idKeyHex, key: createSecretKey(Buffer.from(task.idKeyHex, 'hex')) };
  return lastKey.key;
}

function cutRange(cutter: Cutter, idKey: KeyObject | undefined, buf: Buffer, base: number, want: number): ChunkRef[] {
  const chunks: ChunkRef[] = [];
  for (let off = 0; off < want;) {
    const len = cutter.cut(buf, base + off, base + want);
    const part = buf.subarray(base + off, base + off + len);
    const id = (idKey ? createHmac('sha256', idKey) : createHash('sha256')).update(part).digest('hex');
    chunks.push({ id, off: base + off, len });
    off += len;
  }
  return chunks;
}

/** Chunk and hash segments whose bytes are already in `buf`, back to back (a source read them: S3). */
export function chunkBuffer(task: ChunkTask, buf: Buffer): ChunkTaskResult {
  const results = chunkEach(task, buf);
  const data =
    buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? buf.buffer : buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return { taskId: task.taskId, data: data as ArrayBuffer, results };
}

function readRange(p: string | Uint8Array, start: number, buf: Buffer, at: number, want: number): number {
  // a Buffer posted to a worker arrives as a plain Uint8Array: view it as a Buffer again, no copy
  const path = typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  if (want === 0) {
    fs.accessSync(path, fs.constants.R_OK);
    return 0;
  }
  // O_NONBLOCK: a file replaced by a FIFO since the scan must not hang the worker on open
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    if (!fs.fstatSync(fd).isFile()) return -1;
    let got = 0;
    while (got < want) {
      const n = fs.readSync(fd, buf, at + got, want - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  } finally {
    fs.closeSync(fd);
  }
}
