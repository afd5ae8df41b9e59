import { promisify } from 'node:util';
import { zstdCompress } from 'node:zlib';
import { z } from 'zod';
import { keepIfWorth, LEVEL, levelParams, storedRaw, type CompressionMode, type PackedBlob } from './zstd-blob';

/**
 * Per-blob zstd compression, restic's setting names (the levels and when a blob stays as is:
 * zstd-blob.ts). The choice is recorded per blob (its plaintext length, see pack.ts), so reading
 * never depends on the setting (decompressBlob: open-blob.ts).
 */
export const CompressionSchema = z.enum(['off', 'auto', 'max']);
export type Compression = z.infer<typeof CompressionSchema> & CompressionMode;

const compressAsync = promisify(zstdCompress);

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

/** Compress one plaintext blob (on libuv's thread pool, so several run at once). */
export async function compressBlob(plain: Buffer, mode: Compression): Promise<PackedBlob> {
  if (mode === 'off' || storedRaw(plain, mode)) return { data: plain };
  return keepIfWorth(plain, await bounded(() => compressAsync(plain, levelParams(LEVEL[mode], plain.length))));
}
