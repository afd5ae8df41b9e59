import fs from 'node:fs';
import { openForWriteSync, writeAllSync } from './write-whole-file';

/** Bytes of a file of several blobs, written at `offset`; its size, owner, mode and mtime come once every part is in (run-restore-batch.ts). */
export interface FilePart {
  /** a Buffer (a name that is not UTF-8) arrives in a worker thread as a Uint8Array */
  path: string | Uint8Array;
  offset: number;
}

/** A restored file opened to write into, without truncating it: its parts, or its finish (run-restore-batch.ts) */
export const PART_WRITE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;

const samePath = (a: string | Uint8Array, b: string | Uint8Array) => (typeof a === 'string' || typeof b === 'string' ? a === b : Buffer.compare(a, b) === 0);

/**
 * Writes the parts of a range in order, synchronously, keeping a file open while the parts that
 * follow are for it too (a checkpoint's chunks come in order, dozens to a range).
 */
export class FilePartWriter {
  private open?: { path: string | Uint8Array; fd: number };

  write(part: FilePart, data: Uint8Array): void {
    if (!this.open || !samePath(this.open.path, part.path)) {
      this.close();
      this.open = { path: part.path, fd: openForWriteSync(part.path, PART_WRITE_FLAGS) };
    }
    writeAllSync(this.open.fd, data, part.offset);
  }

  close(): void {
    if (this.open) fs.closeSync(this.open.fd);
    this.open = undefined;
  }
}
