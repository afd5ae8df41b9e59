import { IntegrityError } from '../../common/errors';
import { freeBuffer } from '../../common/free-buffer';
import type { BlobCodec } from '../repo/blob-codec';
import { openBlob } from '../repo/open-blob';
import { FilePartWriter, type FilePart } from './write-file-parts';
import { writeWholeFileSync, type WholeFile } from './write-whole-file';

/** One blob of a fetched pack range. */
export interface OpenRangeBlob {
  id: string;
  /** offset of its stored bytes inside the range */
  at: number;
  storedLength: number;
  plainLength: number;
  /** set when stored compressed */
  rawLength?: number;
}

/**
 * Where a blob's plaintext goes: a file that is exactly this blob, made whole (bytes, owner, mode,
 * mtime); or a part of a file of several blobs, which the caller finishes once all its parts are in.
 */
export type RangeWrite = { blob: number; file: WholeFile } | { blob: number; part: FilePart };

/** Open, check and write every blob of one fetched pack range (in a worker thread: ChunkPool.openRange). */
export interface OpenRangeTask {
  taskId: number;
  pack: string;
  /** names the keys of an encrypted repository, given to each thread once beforehand; absent: plain */
  keysRef?: string;
  blobs: OpenRangeBlob[];
  /** every place the range's blobs go, written once every blob of the range checked */
  writes: RangeWrite[];
}

export type OpenRangeResult =
  /** every blob checked and every write done */
  | { taskId: number; written: number }
  /** blob `failed` did not open or check: `message` names its chunk and pack, the caller adds the file; nothing was written */
  | { taskId: number; failed: number; message: string; integrity: boolean }
  /** write `writeFailed` of the task failed (the ones before it are written) */
  | { taskId: number; writeFailed: number; message: string; code?: string };

/**
 * Open every blob of a range, check each against its id, then write each where it goes, so no
 * byte reaches a file before every blob of its range passed its check. Only the outcome comes
 * back: a checkpoint's plaintexts handed back to the main thread to be written from there cost a
 * transfer and a promise round trip through libuv's pool per chunk. The range's bytes (and any
 * decompressed copy) are freed here.
 */
export function openRange(codec: BlobCodec, task: OpenRangeTask, range: Buffer): OpenRangeResult {
  const plains: Buffer[] = [];
  const parts = new FilePartWriter();
  try {
    for (let i = 0; i < task.blobs.length; i++) {
      const b = task.blobs[i];
      let plain: Buffer;
      try {
        plain = openBlob(codec, b.id, range.subarray(b.at, b.at + b.storedLength), `chunk ${b.id.slice(0, 12)} in pack ${task.pack.slice(0, 12)}`, b.rawLength);
      } catch (e) {
        return { taskId: task.taskId, failed: i, message: (e as Error).message, integrity: e instanceof IntegrityError };
      }
      if (plain.buffer !== range.buffer && plain.length <= b.storedLength) {
        // its sealed bytes are spent: the plaintext takes their place, so a range of decrypted
        // blobs holds one of them beside the range at a time, not a second copy of the range
        const length = plain.copy(range, b.at);
        freeBuffer(plain);
        plain = range.subarray(b.at, b.at + length);
      }
      // a plaintext of another length would leave a hole or a tail in its file, never noticed later
      if (plain.length !== b.plainLength)
        return {
          taskId: task.taskId,
          failed: i,
          message: `chunk ${b.id.slice(0, 12)} in pack ${task.pack.slice(0, 12)}: opens to ${plain.length} bytes, the index says ${b.plainLength}`,
          integrity: true,
        };
      plains.push(plain);
    }
    for (let w = 0; w < task.writes.length; w++) {
      const write = task.writes[w];
      try {
        if ('file' in write) writeWholeFileSync(write.file, plains[write.blob]);
        else parts.write(write.part, plains[write.blob]);
      } catch (e) {
        return { taskId: task.taskId, writeFailed: w, message: (e as Error).message, code: (e as NodeJS.ErrnoException).code };
      }
    }
    return { taskId: task.taskId, written: task.writes.length };
  } finally {
    parts.close();
    // decompressed copies of their own: freed now, not at the thread's next GC (views of the range go with it)
    for (const plain of plains) if (plain.buffer !== range.buffer) freeBuffer(plain);
    freeBuffer(range);
  }
}
