import fs from 'node:fs';
import { ownAndChmodSync } from './apply-metadata';

/**
 * Files that are one blob (most small files), written by a file-writer thread: create, write,
 * owner, mode and mtime in one open, with direct syscalls. On this kind of storage creating a
 * file costs far more than writing it; the writer threads take that off the thread that fetches
 * and checks blobs, and create files in parallel.
 */
export interface WholeFile {
  /** a Buffer path arrives in the worker as a Uint8Array */
  abs: string | Uint8Array;
  /** the file's bytes inside the task's data */
  off: number;
  len: number;
  mode: number;
  uid?: number;
  gid?: number;
  /** seconds, as Node's futimes takes them */
  mtime: number;
}

export interface WholeFilesTask {
  files: WholeFile[];
  /** every file's bytes back to back; transferred, not copied */
  data: ArrayBuffer;
}

/** Per file of the task, in order: undefined when written, else the failure. */
export type WholeFilesResult = ({ error: string; code?: string } | undefined)[];

export const WRITE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;

function writeOne(f: WholeFile, data: Buffer): void {
  const abs = typeof f.abs === 'string' ? f.abs : Buffer.from(f.abs.buffer, f.abs.byteOffset, f.abs.byteLength);
  const flags = WRITE_FLAGS | fs.constants.O_TRUNC;
  let fd: number;
  try {
    fd = fs.openSync(abs, flags, 0o600);
  } catch (e) {
    // an interrupted earlier attempt may already have made it read-only
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
    fs.chmodSync(abs, 0o600);
    fd = fs.openSync(abs, flags, 0o600);
  }
  try {
    let off = 0;
    while (off < f.len) off += fs.writeSync(fd, data, f.off + off, f.len - off, off);
    ownAndChmodSync(fd, f);
    fs.futimesSync(fd, f.mtime, f.mtime);
  } finally {
    fs.closeSync(fd);
  }
}

/** Write every file of the task; a failure of one file does not stop the others. */
export function writeWholeFiles(task: WholeFilesTask): WholeFilesResult {
  const data = Buffer.from(task.data);
  return task.files.map((f) => {
    try {
      writeOne(f, data);
      return undefined;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { error: err.message, code: err.code };
    }
  });
}
