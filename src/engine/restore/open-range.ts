import { IntegrityError } from '../../common/errors';
import { freeBuffer } from '../../common/free-buffer';
import type { BlobCodec } from '../repo/blob-codec';
import { openBlob } from '../repo/open-blob';
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
  /** every place its bytes go is one of the task's writes: the caller does not need its plaintext back */
  writtenOnly?: boolean;
}

/** Open and check every blob of one fetched pack range (in a worker thread: ChunkPool.openRange). */
export interface OpenRangeTask {
  taskId: number;
  pack: string;
  /** names the keys of an encrypted repository, given to each thread once beforehand; absent: plain */
  keysRef?: string;
  blobs: OpenRangeBlob[];
  /** files that are exactly one blob of the range: written here once every blob of the range checked */
  writes?: { blob: number; file: WholeFile }[];
}

export type OpenRangeResult =
  /** every blob's plaintext inside `data` (transferred, not copied), blob i at byte `at[i]` (-1: written only, not given back) */
  | { taskId: number; data: ArrayBuffer; at: number[] }
  /** blob `failed` did not open or check: `message` names its chunk and pack, the caller adds the file */
  | { taskId: number; failed: number; message: string; integrity: boolean }
  /** write `writeFailed` of the task failed (the ones before it are written) */
  | { taskId: number; writeFailed: number; message: string; code?: string };

/**
 * Open every blob of a range and check each against its id. The plaintexts come back in one
 * buffer: the range's own when no blob is compressed (a plaintext is never longer than its sealed
 * bytes, so each is put where its stored bytes were, and a plain blob is not copied at all),
 * else one new buffer holding them back to back. A blob marked written-only (most small files)
 * is left out of either: copying it back would only be thrown away. The range's bytes are
 * consumed either way. Then the task's whole files are written, so no byte reaches a file
 * before every blob of its range passed its check.
 */
export function openRange(codec: BlobCodec, task: OpenRangeTask, range: Buffer): OpenRangeResult {
  const inPlace = task.blobs.every((b) => b.rawLength === undefined);
  const out = inPlace ? range : Buffer.allocUnsafeSlow(task.blobs.reduce((s, b) => s + (b.writtenOnly ? 0 : b.plainLength), 0));
  const at: number[] = [];
  // the plaintexts of written-only blobs, until they are written
  const held: Buffer[] = [];
  let next = 0;
  for (let i = 0; i < task.blobs.length; i++) {
    const b = task.blobs[i];
    let plain: Buffer;
    try {
      plain = openBlob(codec, b.id, range.subarray(b.at, b.at + b.storedLength), `chunk ${b.id.slice(0, 12)} in pack ${task.pack.slice(0, 12)}`, b.rawLength);
    } catch (e) {
      return { taskId: task.taskId, failed: i, message: (e as Error).message, integrity: e instanceof IntegrityError };
    }
    if (b.writtenOnly) {
      held[i] = plain;
      at.push(-1);
      continue;
    }
    const to = inPlace ? b.at : next;
    at.push(out.byteOffset + to);
    next += plain.length;
    if (plain.buffer !== out.buffer || plain.byteOffset !== out.byteOffset + to) {
      plain.copy(out, to);
      // a decoded copy of its own: freed now, not at the thread's next GC
      if (plain.buffer !== range.buffer) freeBuffer(plain);
    }
  }
  try {
    const writes = task.writes ?? [];
    for (let w = 0; w < writes.length; w++) {
      const b = writes[w].blob;
      const plain = held[b] ?? out.subarray(at[b] - out.byteOffset, at[b] - out.byteOffset + task.blobs[b].plainLength);
      try {
        writeWholeFileSync(writes[w].file, plain);
      } catch (e) {
        return { taskId: task.taskId, writeFailed: w, message: (e as Error).message, code: (e as NodeJS.ErrnoException).code };
      }
    }
  } finally {
    for (const plain of held) if (plain && plain.buffer !== range.buffer) freeBuffer(plain);
    if (!inPlace) freeBuffer(range);
  }
  return { taskId: task.taskId, data: out.buffer as ArrayBuffer, at };
}
