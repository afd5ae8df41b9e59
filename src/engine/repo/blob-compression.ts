import { promisify } from 'node:util';
import { constants, zstdCompress, zstdCompressSync } from 'node:zlib';
import { z } from 'zod';

/**
 * Per-blob zstd compression (restic's setting names): `off` stores every blob as is; `auto`
 * compresses at zstd level 3 and `max` at level 11, each keeping a blob as is when compression
 * would not shrink it by KEEP_RAW (model weights, random data). The choice is recorded per blob
 * (its plaintext length, see pack.ts), so reading never depends on the setting (decompressBlob:
 * open-blob.ts).
 */
export const CompressionSchema = z.enum(['off', 'auto', 'max']);
export type Compression = z.infer<typeof CompressionSchema>;

const LEVEL: Record<Exclude<Compression, 'off'>, number> = { auto: 3, max: 11 };
/** compressed must be at most this fraction of raw to be worth a decompression on every read */
const KEEP_RAW = 0.97;
/**
 * blobs larger than twice this are first probed on a fast level-1 sample from their middle (a
 * file's head is often a compressible header): incompressible data skips the full pass
 */
const PROBE_BYTES = 64 * 1024;

const compressAsync = promisify(zstdCompress);
// the size pledge lets zstd size its window and tables to the blob: a small file costs a small context
const levelParams = (level: number, size: number) => ({ params: { [constants.ZSTD_c_compressionLevel]: level }, pledgedSrcSize: size });

/**
 * Compressions in flight at once: each holds a zstd context and its output, and libuv's pool
 * has four threads; more would only queue while holding memory.
 */
const MAX_INFLIGHT = 4;
let inflight = 0;
const waiting: (() => void)[] = [];
async function bounded<T>(f: () => Promise<T>): Promise<T> {
  if (inflight >= MAX_INFLIGHT) await new Promise<void>((r) => waiting.push(r));
  inflight++;
  try {
    return await f();
  } finally {
    inflight--;
    waiting.shift()?.();
  }
}

export interface PackedBlob {
  /** compressed bytes, or the plaintext itself when stored as is */
  data: Buffer;
  /** the plaintext length when `data` is compressed; absent when stored as is */
  rawLength?: number;
}

const worthIt = (compressed: number, raw: number) => compressed < raw * KEEP_RAW;

/** Compress one plaintext blob (on libuv's thread pool, so several run at once). */
export async function compressBlob(plain: Buffer, mode: Compression): Promise<PackedBlob> {
  if (mode === 'off' || plain.length === 0) return { data: plain };
  if (plain.length > 2 * PROBE_BYTES) {
    const at = (plain.length - PROBE_BYTES) >> 1;
    const probe = plain.subarray(at, at + PROBE_BYTES);
    if (!worthIt(zstdCompressSync(probe, levelParams(1, probe.length)).length, probe.length)) return { data: plain };
  }
  const data = await bounded(() => compressAsync(plain, levelParams(LEVEL[mode], plain.length)));
  return worthIt(data.length, plain.length) ? { data, rawLength: plain.length } : { data: plain };
}
