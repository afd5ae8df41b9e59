import fs from 'node:fs';

/** A file restored from one blob, with what it gets besides its bytes (owner and mode resolved by ownerAndMode). */
export interface WholeFile {
  /** a Buffer (a name that is not UTF-8) arrives in a worker thread as a Uint8Array */
  path: string | Uint8Array;
  mode: number;
  owner?: { uid: number; gid: number };
  /** seconds since the epoch */
  mtime: number;
}

const FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW | fs.constants.O_TRUNC;

/**
 * A file that is one blob (most small files): create, write, owner, mode and mtime in one open,
 * synchronously. On this kind of storage creating a file costs far more than writing it, and a
 * handful of direct syscalls beat a dozen promise round trips through libuv's thread pool. Runs
 * in the engine's threads next to the check of the blob (restore/open-range.ts), or inline.
 */
export function writeWholeFileSync(f: WholeFile, data: Uint8Array): void {
  const fd = openForWriteSync(f.path, FLAGS);
  try {
    writeAllSync(fd, data, 0);
    // chown before chmod: chown clears setuid/setgid (apply-metadata.ts)
    if (f.owner) fs.fchownSync(fd, f.owner.uid, f.owner.gid);
    fs.fchmodSync(fd, f.mode);
    fs.futimesSync(fd, f.mtime, f.mtime);
  } finally {
    fs.closeSync(fd);
  }
}

/** All of `data` into `fd` from byte `at` (a write may take less than it was given). */
export function writeAllSync(fd: number, data: Uint8Array, at: number): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, at + off);
}

/** Open a restored file for writing (created 0600); an interrupted earlier attempt may already have made it read-only. */
export function openForWriteSync(path: string | Uint8Array, flags: number): number {
  const abs = typeof path === 'string' ? path : Buffer.from(path.buffer, path.byteOffset, path.byteLength);
  try {
    return fs.openSync(abs, flags, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
    fs.chmodSync(abs, 0o600);
    return fs.openSync(abs, flags, 0o600);
  }
}
