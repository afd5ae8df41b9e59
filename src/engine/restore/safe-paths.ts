import { BadInputError } from '../../common/errors';
import { isUtf8 } from 'node:buffer';
import { displayPath, entryKey } from '../fs/raw-path';
import type { TreeEntry } from '../repo/tree';

/**
 * Refuse any manifest entry that could write outside the restore target: absolute paths,
 * "." or ".." components, empty components, NUL bytes, duplicates, and entries below a
 * symlink (which would let a crafted manifest write through the link). A `rawPath` must be
 * bytes that are not UTF-8 and whose display form is `path`: then every check on `path` holds
 * for the bytes (the display form keeps each `/` and `.` of the bytes and adds none).
 */
export function checkRestorePaths(entries: TreeEntry[], snapshotId: string): void {
  const seen = new Set<string>();
  const links = new Set<string>();
  for (const e of entries) {
    const p = e.path;
    const bad = (why: string) => new BadInputError(`snapshot ${snapshotId}: entry "${p}" ${why}; refusing to restore`);
    if (p.includes('\0')) throw bad('contains a NUL byte');
    if (e.rawPath !== undefined) {
      const raw = Buffer.from(e.rawPath, 'base64');
      if (raw.toString('base64') !== e.rawPath || isUtf8(raw) || displayPath(raw) !== p) throw bad('has raw name bytes that do not match its path');
    }
    if (p.startsWith('/')) throw bad('is an absolute path');
    const parts = p.split('/');
    if (parts.some((c) => c === '' || c === '.' || c === '..')) throw bad('has an empty, "." or ".." component that escapes the target');
    if (seen.has(entryKey(e))) throw bad('appears twice');
    seen.add(entryKey(e));
    for (let i = 1; i < parts.length; i++) {
      if (links.has(parts.slice(0, i).join('/'))) throw bad('lies below a symlink');
    }
    if (e.type === 'symlink') links.add(p);
  }
}
