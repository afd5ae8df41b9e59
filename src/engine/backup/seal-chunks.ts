import { freeBuffer } from '../../common/free-buffer';
import type { BlobCodec } from '../repo/blob-codec';
import { compressBlobSync, type CompressionMode } from '../repo/zstd-blob';

/** Compress (per the setting) and seal the new chunks of one chunked task (in a worker thread: ChunkPool.seal). */
export interface SealTask {
  taskId: number;
  /** names the keys of an encrypted repository, given to each thread once beforehand; absent: plain */
  keysRef?: string;
  compression: CompressionMode;
  /** where each new chunk's plaintext is in the task's buffer */
  chunks: { off: number; len: number }[];
}

export type SealResult =
  /**
   * the sealed blobs back to back from the start of `data` (transferred, not copied): blob i is
   * `stored[i]` bytes, compressed from `raw[i]` bytes unless -1
   */
  { taskId: number; data: ArrayBuffer; stored: number[]; raw: number[] } | { taskId: number; error: string };

/**
 * Seal every chunk of a task, in order, into one buffer; the task's plaintext is consumed. Its
 * ids were computed when it was chunked, from the same bytes.
 */
export function sealChunks(codec: BlobCodec, task: SealTask, plain: Buffer): SealResult {
  try {
    const bound = task.chunks.reduce((s, c) => s + codec.storedLength(c.len), 0);
    const out = Buffer.allocUnsafeSlow(bound);
    const stored: number[] = [];
    const raw: number[] = [];
    let at = 0;
    for (const c of task.chunks) {
      const packed = compressBlobSync(plain.subarray(c.off, c.off + c.len), task.compression);
      const n = codec.encodeInto(packed.data, out, at);
      at += n;
      stored.push(n);
      raw.push(packed.rawLength ?? -1);
      // a compressed copy of its own is freed now, not at the thread's next GC (a view of the task's bytes is left alone)
      if (packed.data.buffer !== plain.buffer) freeBuffer(packed.data);
    }
    freeBuffer(plain);
    // compressed blobs leave the end of the buffer unused: give that back (in place when the allocator can)
    const data = at === bound ? (out.buffer as ArrayBuffer) : (out.buffer as ArrayBuffer & { transfer(n: number): ArrayBuffer }).transfer(at);
    return { taskId: task.taskId, data, stored, raw };
  } catch (e) {
    return { taskId: task.taskId, error: (e as Error).message };
  }
}
