/** Buffers smaller than this are left to the GC: freeing them early saves little. */
const WORTH_FREEING = 256 * 1024;

/**
 * Give the memory of a large buffer back now instead of at some later GC: the engine's big
 * buffers (read tasks, packs, restore ranges) otherwise pile up as garbage between collections
 * and set the peak RSS. Only a buffer that spans its whole ArrayBuffer is freed, so a view of
 * part of a larger one (or of Node's pool of small buffers) is never touched; the caller
 * promises nothing reads it any more (every view of it becomes empty).
 */
export function freeBuffer(buf: Buffer | ArrayBufferLike): void {
  const ab = Buffer.isBuffer(buf) ? buf.buffer : buf;
  if (!(ab instanceof ArrayBuffer) || ab.byteLength < WORTH_FREEING) return;
  if (Buffer.isBuffer(buf) && (buf.byteOffset !== 0 || buf.byteLength !== ab.byteLength)) return;
  (ab as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}
