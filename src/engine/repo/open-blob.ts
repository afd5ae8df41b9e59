import { zstdDecompressSync } from 'node:zlib';
import { IntegrityError } from '../../common/errors';
import type { BlobCodec } from './blob-codec';
import { inflateLimitText, MAX_INFLATED_BYTES } from './inflate-limit';

/** Undo compressBlob (blob-compression.ts); a blob that does not decompress to exactly `rawLength` bytes is corrupt. */
export function decompressBlob(data: Buffer, rawLength: number | undefined, what: string): Buffer {
  if (rawLength === undefined) return data;
  if (rawLength > MAX_INFLATED_BYTES)
    throw new IntegrityError(`${what}: the index says it inflates to ${rawLength} bytes, over ${inflateLimitText} (the index is corrupt)`);
  let plain: Buffer;
  try {
    plain = zstdDecompressSync(data, { maxOutputLength: Math.max(rawLength, 1) });
  } catch (e) {
    throw new IntegrityError(`${what}: does not decompress (stored data is corrupt): ${(e as Error).message}`);
  }
  if (plain.length !== rawLength)
    throw new IntegrityError(`${what}: decompresses to ${plain.length} bytes, the index says ${rawLength} (stored data is corrupt)`);
  return plain;
}

/**
 * Decode a stored blob (open, then decompress to exactly `rawLength` bytes when it was stored
 * compressed) and check its id (SHA-256, or keyed HMAC when encrypted). The one check every
 * reader of blobs goes through, on the main thread or in a worker thread (zod-free for that).
 */
export function openBlob(codec: BlobCodec, id: string, stored: Buffer, what: string, rawLength?: number): Buffer {
  const plain = decompressBlob(codec.decode(stored, what), rawLength, what);
  if (codec.id(plain) !== id) throw new IntegrityError(`${what} failed its ${codec.encrypted ? 'HMAC' : 'SHA-256'} check (stored data is corrupt)`);
  return plain;
}
