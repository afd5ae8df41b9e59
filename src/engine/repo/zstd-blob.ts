import { constants, zstdCompressSync } from 'node:zlib';
import { looksIncompressible } from './incompressible';

/**
 * The rules of per-blob compression (the setting's schema and the async form: blob-compression.ts),
 * zod-free so a worker thread can compress: `auto` is zstd level 3 and `max` level 11, and a blob
 * is kept as is when compression would not shrink it by KEEP_RAW (model weights, random data).
 */
export type CompressionMode = 'off' | 'auto' | 'max';

export const LEVEL: Record<Exclude<CompressionMode, 'off'>, number> = { auto: 3, max: 11 };
/** compressed must be at most this fraction of raw to be worth a decompression on every read */
const KEEP_RAW = 0.97;
/**
 * blobs larger than twice this are first probed on a fast level-1 sample from their middle (a
 * file's head is often a compressible header): incompressible data skips the full pass. The
 * probe costs the same on every blob, so it stays small against the 128 KiB mean chunk.
 */
const PROBE_BYTES = 16 * 1024;

// the size pledge lets zstd size its window and tables to the blob: a small file costs a small context
export const levelParams = (level: number, size: number) => ({ params: { [constants.ZSTD_c_compressionLevel]: level }, pledgedSrcSize: size });

export interface PackedBlob {
  /** compressed bytes, or the plaintext itself when stored as is */
  data: Buffer;
  /** the plaintext length when `data` is compressed; absent when stored as is */
  rawLength?: number;
}

export const worthIt = (compressed: number, raw: number) => compressed < raw * KEEP_RAW;

/**
 * Whether a blob is stored as is without a full compression pass: compression off, empty, its
 * sample (the whole of a small blob, the probe of a larger one) looks like random bytes
 * (incompressible.ts, no zstd call), or the probe does not shrink.
 */
export function storedRaw(plain: Buffer, mode: CompressionMode): boolean {
  if (mode === 'off' || plain.length === 0) return true;
  const small = plain.length <= 2 * PROBE_BYTES;
  const at = small ? 0 : (plain.length - PROBE_BYTES) >> 1;
  const probe = small ? plain : plain.subarray(at, at + PROBE_BYTES);
  if (looksIncompressible(probe)) return true;
  if (small) return false;
  return !worthIt(zstdCompressSync(probe, levelParams(1, probe.length)).length, probe.length);
}

/** The full pass's outcome: compressed when it is worth it, else the plaintext as is. */
export const keepIfWorth = (plain: Buffer, compressed: Buffer): PackedBlob =>
  worthIt(compressed.length, plain.length) ? { data: compressed, rawLength: plain.length } : { data: plain };

/** Compress one plaintext blob on the calling thread (a worker thread sealing a task's chunks). */
export function compressBlobSync(plain: Buffer, mode: CompressionMode): PackedBlob {
  if (mode === 'off' || storedRaw(plain, mode)) return { data: plain };
  return keepIfWorth(plain, zstdCompressSync(plain, levelParams(LEVEL[mode], plain.length)));
}
