import { BadInputError } from '../../common/errors';
import type { TreeEntry } from '../repo/tree';

/**
 * Refuse any manifest entry that could write outside the restore target: absolute paths,
 * "." or ".." components, empty components, NUL bytes, duplicates, and entries below a
 * symlink (which would let a crafted manifest write through the link).
 */
export function checkRestorePaths(entries: TreeEntry[], snapshotId: string): void {
  const seen = new Set<string>();
  const links = new Set<string>();
  for (const e of entries) {
    const p = e.path;
    const bad = (why: string) => new BadInputError(`snapshot ${snapshotId}: entry "${p}" ${why}; refusing to restore`);
    if (p.includes('\0')) throw bad('contains a NUL byte');
    if (p.startsWith('/')) throw bad('is an absolute path');
    const parts = p.split('/');
    if (parts.some((c) => c === '' || c === '.' || c === '..')) throw bad('has an empty, "." or ".." component that escapes the target');
    if (seen.has(p)) throw bad('appears twice');
    seen.add(p);
    for (let i = 1; i < parts.length; i++) {
      if (links.has(parts.slice(0, i).join('/'))) throw bad('lies below a symlink');
    }
    if (e.type === 'symlink') links.add(p);
  }
}
