import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { BlobStore, PutOptions } from '../src/engine/store/blob-store';

/**
 * The physical ceiling of a backup on this machine: read every byte of the data set and
 * SHA-256 it, nothing else. In one thread, and split over N worker threads (64 MiB sections
 * handed out through a shared counter).
 */
interface Segment {
  file: string;
  start: number;
  end: number;
}

const SECTION = 64 * 1024 * 1024;
const BLOCK = 8 * 1024 * 1024;

export function listSegments(root: string): { segments: Segment[]; bytes: number } {
  const segments: Segment[] = [];
  let bytes = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const size = fs.statSync(p).size;
        bytes += size;
        if (size === 0) segments.push({ file: p, start: 0, end: 0 });
        for (let s = 0; s < size; s += SECTION) segments.push({ file: p, start: s, end: Math.min(size, s + SECTION) });
      }
    }
  };
  walk(root);
  return { segments, bytes };
}

function hashSegment(seg: Segment, buf: Buffer): number {
  const fd = fs.openSync(seg.file, 'r');
  try {
    let pos = seg.start;
    const h = createHash('sha256');
    while (pos < seg.end) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, seg.end - pos), pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
    h.digest();
    return pos - seg.start;
  } finally {
    fs.closeSync(fd);
  }
}

function drain(segments: Segment[], counter: Int32Array): number {
  const buf = Buffer.allocUnsafeSlow(BLOCK);
  let bytes = 0;
  for (;;) {
    const i = Atomics.add(counter, 0, 1);
    if (i >= segments.length) return bytes;
    bytes += hashSegment(segments[i], buf);
  }
}

if (!isMainThread && (workerData as { ceiling?: boolean } | null)?.ceiling) {
  const d = workerData as { segments: Segment[]; counter: SharedArrayBuffer };
  parentPort?.postMessage(drain(d.segments, new Int32Array(d.counter)));
}

export interface CeilingResult {
  threads: number;
  bytes: number;
  ms: number;
  mibPerS: number;
}

/** Read + SHA-256 everything under root with `threads` threads (1 = this thread). */
export async function readHashCeiling(root: string, threads: number): Promise<CeilingResult> {
  const { segments } = listSegments(root);
  const counter = new SharedArrayBuffer(4);
  const t0 = performance.now();
  let bytes = 0;
  if (threads <= 1) bytes = drain(segments, new Int32Array(counter));
  else {
    const parts = await Promise.all(
      Array.from(
        { length: threads },
        () =>
          new Promise<number>((resolve, reject) => {
            const w = new Worker(__filename, { workerData: { ceiling: true, segments, counter } });
            w.once('message', (n: number) => resolve(n));
            w.once('error', reject);
          }),
      ),
    );
    bytes = parts.reduce((a, b) => a + b, 0);
  }
  const ms = performance.now() - t0;
  return { threads, bytes, ms, mibPerS: bytes / (1024 * 1024) / (ms / 1000) };
}

export interface StoreCeilingResult {
  op: 'PUT' | 'GET';
  objectMiB: number;
  concurrency: number;
  bytes: number;
  ms: number;
  mibPerS: number;
}

/**
 * What the object store itself sustains from this machine: PUT then ranged GET of random
 * objects with the given size and concurrency, the payload hash handed over so the client
 * does not hash (what a backup tool could reach if it did nothing else).
 */
export async function storeCeiling(
  store: Pick<BlobStore, 'put' | 'get'>,
  o: { totalMiB: number; objectMiB: number; concurrency: number },
): Promise<StoreCeilingResult[]> {
  const size = o.objectMiB * 1024 * 1024;
  const n = Math.max(o.concurrency, Math.round(o.totalMiB / o.objectMiB));
  const bodies = Array.from({ length: Math.min(n, 4) }, (_, i) => {
    const b = Buffer.allocUnsafe(size);
    let x = 0x2545f491 + i;
    const u = new Uint32Array(b.buffer, b.byteOffset, size >>> 2);
    for (let k = 0; k < u.length; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      u[k] = x;
    }
    return { b, sha: createHash('sha256').update(b).digest('hex') };
  });
  const keys = Array.from({ length: n }, (_, i) => `ceiling-${o.objectMiB}-${i}`);
  const pump = async (fn: (i: number) => Promise<number>): Promise<{ bytes: number; ms: number }> => {
    let next = 0;
    let bytes = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (next < n) {
          // (not `bytes += await ...`: that reads bytes before the await and loses updates)
          const got = await fn(next++);
          bytes += got;
        }
      }),
    );
    return { bytes, ms: performance.now() - t0 };
  };
  const put = await pump(async (i) => {
    const { b, sha } = bodies[i % bodies.length];
    // the payload hash for stores that accept one (saves SigV4 hashing); others ignore it
    await store.put(keys[i], b, { sha256: sha } as unknown as PutOptions);
    return b.length;
  });
  const get = await pump(async (i) => (await store.get(keys[i], { start: 0, length: size })).length);
  const mk = (op: 'PUT' | 'GET', r: { bytes: number; ms: number }): StoreCeilingResult => ({
    op,
    objectMiB: o.objectMiB,
    concurrency: o.concurrency,
    ...r,
    mibPerS: r.bytes / (1024 * 1024) / (r.ms / 1000),
  });
  return [mk('PUT', put), mk('GET', get)];
}
