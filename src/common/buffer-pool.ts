import { freeBuffer } from './free-buffer';

type Movable = ArrayBuffer & { transfer(length?: number): ArrayBuffer };

/**
 * Room for every large buffer of a backup: a task's read (at most 16 MiB), its sealed blobs (the
 * same bytes plus a 28-byte seal each) and a pack of the default 16 MiB (filled to an eighth over).
 */
export const SLAB_BYTES = 18 * 1024 * 1024;

/**
 * Large buffers of one size kept for reuse by the thread that holds the pool. A buffer of this
 * size lies beyond malloc's mmap threshold (node-flags.ts), so a fresh one is a fresh mapping:
 * its first write costs a page fault per 4 KiB (a backup of 768 MiB faulted 640,000 pages, 1.6 s
 * of system time) and freeing it unmaps them again. A slab kept here stays mapped and faulted.
 *
 * A slab comes back only through give(), which moves its memory to a new ArrayBuffer: every
 * view of the old one becomes empty, so bytes still read by a forgotten view can never change
 * under it (it reads nothing instead, as after freeBuffer).
 */
export class BufferPool {
  private readonly slabs: ArrayBuffer[] = [];

  constructor(
    readonly slabBytes: number,
    /** slabs kept at most; one given beyond is freed */
    readonly keep: number,
  ) {}

  get pooled(): number {
    return this.slabs.length;
  }

  /** A buffer of `length` bytes (contents undefined): a view of a slab when one fits and is worth it (from a sixteenth of one), else its own. */
  take(length: number): Buffer {
    if (length > this.slabBytes || length < this.slabBytes >> 4) return Buffer.allocUnsafeSlow(length);
    return Buffer.from(this.slabs.pop() ?? new ArrayBuffer(this.slabBytes), 0, length);
  }

  /**
   * Done with `buf` and every view of it: kept when it is a slab and there is room, else freed
   * (freeBuffer's rules). A Buffer counts only when it spans its whole ArrayBuffer.
   */
  give(buf: Buffer | ArrayBufferLike | undefined): void {
    if (!buf) return;
    if (Buffer.isBuffer(buf) && (buf.byteOffset !== 0 || buf.byteLength !== buf.buffer.byteLength)) return;
    const ab = Buffer.isBuffer(buf) ? buf.buffer : buf;
    if (!(ab instanceof ArrayBuffer) || ab.byteLength === 0) return;
    if (ab.byteLength !== this.slabBytes || this.slabs.length >= this.keep) return freeBuffer(ab);
    this.slabs.push((ab as Movable).transfer());
  }

  /** A slab to hand to another thread (transferred with a message), if one is kept. */
  spare(): ArrayBuffer | undefined {
    return this.slabs.pop();
  }
}

/**
 * This thread's pool: module state is per isolate, so each worker thread has its own, and the
 * main thread hands its spares to the threads with their reads. One slab each: a full backup of
 * the bench set (file store, three runs) faulted 310,000-353,000 pages at peak RSS 309-315 MiB,
 * with two each 172,000-188,000 pages at 331-362 MiB, for the same CPU.
 */
export const slabs = new BufferPool(SLAB_BYTES, 1);
