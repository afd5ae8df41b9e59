import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FsPath } from './raw-path';

const run = promisify(execFile);

/** Linux's dev_t encoding (glibc gnu_dev_major/minor). */
export function splitRdev(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

export type SpecialKind = 'fifo' | 'chardev' | 'blockdev';

/**
 * Create a FIFO or device node with mknod(1): Node has no mknod. The node is made under a
 * plain temporary name in `tmpDir` (a UTF-8 folder on the same filesystem) and renamed into
 * place, because a process argument cannot carry a name that is not UTF-8. An existing entry
 * at `at` is replaced.
 */
export async function makeSpecial(at: FsPath, tmpDir: string, kind: SpecialKind, major = 0, minor = 0): Promise<void> {
  const tmp = path.join(tmpDir, `.lepton-mknod-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const args = kind === 'fifo' ? [tmp, 'p'] : [tmp, kind === 'chardev' ? 'c' : 'b', String(major), String(minor)];
  await run('mknod', ['-m', '600', ...args]);
  await fs.promises.rm(at, { force: true });
  await fs.promises.rename(tmp, at);
}
