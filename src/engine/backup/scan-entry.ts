import type fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { FileEntry, RootMeta, TreeEntry } from '../repo/tree';
import { displayPath } from '../fs/raw-path';
import { splitRdev } from '../fs/special-files';

/** A file as a source's scan sees it: a tree entry without chunks; its change key is inode/ctime (folders) or ETag (S3). */
export type ScannedFile = Omit<FileEntry, 'chunks'>;
export type ScannedEntry = ScannedFile | Exclude<TreeEntry, { type: 'file' }>;

/** Mode bits, owner and mtime of any inode. */
export function metaOf(s: fs.BigIntStats): RootMeta & { uid: number; gid: number } {
  return { mode: Number(s.mode & 0o7777n), uid: Number(s.uid), gid: Number(s.gid), mtimeNs: s.mtimeNs.toString() };
}

/**
 * The tree entry for one lstat result, or 'skip' for a socket (nothing to restore).
 * `readLink` is called only for symlinks. Key order is fixed so equal metadata encodes equal.
 */
export function entryFromStats(s: fs.BigIntStats, at: { path: string; rawPath?: string }, readLink: () => Buffer): ScannedEntry | 'skip' {
  const m = metaOf(s);
  const common = { path: at.path, ...(at.rawPath !== undefined ? { rawPath: at.rawPath } : {}), mode: m.mode, uid: m.uid, gid: m.gid, mtimeNs: m.mtimeNs };
  if (s.isFile()) return { type: 'file', ...common, size: Number(s.size), ino: Number(s.ino), ctimeNs: s.ctimeNs.toString() };
  if (s.isDirectory()) return { type: 'dir', ...common };
  if (s.isSymbolicLink()) {
    const t = readLink();
    return isUtf8(t)
      ? { type: 'symlink', ...common, target: t.toString('utf8') }
      : { type: 'symlink', ...common, target: displayPath(t), rawTarget: t.toString('base64') };
  }
  if (s.isFIFO()) return { type: 'fifo', ...common };
  if (s.isCharacterDevice()) return { type: 'chardev', ...common, ...splitRdev(s.rdev) };
  if (s.isBlockDevice()) return { type: 'blockdev', ...common, ...splitRdev(s.rdev) };
  return 'skip';
}
