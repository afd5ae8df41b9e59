/**
 * Buffers smaller than this are left to the GC. Chunks are 64 KiB to 1 MiB (128 KiB mean), and
 * a thread that opens restore ranges makes one buffer per blob: left to the GC, those piled up in
 * each isolate until V8's external-memory trigger. At 256 KiB (the old value) the engine's peak RSS
 * restoring the bench set (scale 1, encrypted, compression auto, file store, 3 runs alternated) was
 * 281-318 MiB; at 16 KiB 216-223 MiB, user CPU 2.4-3.0 s against 2.5-2.7 s.
 */
export const WORTH_FREEING = 16 * 1024;

/**
 * Give the memory of a large buffer back now instead of at some later GC: the engine's big
 * buffers (read tasks, packs, restore ranges) otherwise pile up as garbage between collections
 * and set the peak RSS. Only a buffer that spans its whole ArrayBuffer is freed, so a view of
 * part of a larger one (or of Node's pool of small buffers) is never touched; the caller
 * promises nothing reads it any more (every view of it becomes empty). Given nothing, it does
 * nothing.
 */
export function freeBuffer(buf: Buffer | ArrayBufferLike | undefined): void {
  if (!buf) return;
  const ab = Buffer.isBuffer(buf) ? buf.buffer : buf;
  if (!(ab instanceof ArrayBuffer) || ab.byteLength < WORTH_FREEING) return;
  if (Buffer.isBuffer(buf) && (buf.byteOffset !== 0 || buf.byteLength !== ab.byteLength)) return;
  (ab as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}
