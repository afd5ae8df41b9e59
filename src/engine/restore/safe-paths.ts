import { BadInputError } from '../../common/errors';
import { isUtf8 } from 'node:buffer';
import { displayPath, entryKey } from '../fs/raw-path';
import type { TreeEntry } from '../repo/tree';
import { cmpTreeEntry } from '../source/tree-order';

/**
 * Refuses any manifest entry that could write outside the restore target: absolute paths,
 * "." or ".." components, empty components, NUL bytes, duplicates, and entries below a
 * symlink (which would let a crafted manifest write through the link). A `rawPath` must be
 * bytes that are not UTF-8 and whose display form is `path`: then every check on `path` holds
 * for the bytes (the display form keeps each `/` and `.` of the bytes and adds none).
 *
 * Entries come one at a time. Without `keyed`, duplicates are found by order: a tree in strict
 * tree order (every scan writes one) has none, and the check holds only the symlinks seen;
 * `ordered` turns false at the first entry out of order, and such a tree must be checked again
 * keyed (which remembers every path).
 */
export class RestorePathCheck {
  private readonly links = new Set<string>();
  private readonly seen?: Set<string>;
  private prev?: TreeEntry;
  ordered = true;

  constructor(
    private readonly snapshotId: string,
    keyed = false,
  ) {
    if (keyed) this.seen = new Set();
  }

  add(e: TreeEntry): void {
    const p = e.path;
    const bad = (why: string) => new BadInputError(`snapshot ${this.snapshotId}: entry "${p}" ${why}; refusing to restore`);
    if (p.includes('\0')) throw bad('contains a NUL byte');
    if (e.rawPath !== undefined) {
      const raw = Buffer.from(e.rawPath, 'base64');
      if (raw.toString('base64') !== e.rawPath || isUtf8(raw) || displayPath(raw) !== p) throw bad('has raw name bytes that do not match its path');
    }
    if (p.startsWith('/')) throw bad('is an absolute path');
    const parts = p.split('/');
    if (parts.some((c) => c === '' || c === '.' || c === '..')) throw bad('has an empty, "." or ".." component that escapes the target');
    if (this.seen) {
      if (this.seen.has(entryKey(e))) throw bad('appears twice');
      this.seen.add(entryKey(e));
    } else if (this.ordered && this.prev) {
      const c = cmpTreeEntry(this.prev, e);
      if (c === 0) throw bad('appears twice');
      if (c > 0) this.ordered = false;
    }
    this.prev = e;
    for (let i = 1; i < parts.length; i++) {
      if (this.links.has(parts.slice(0, i).join('/'))) throw bad('lies below a symlink');
    }
    if (e.type === 'symlink') this.links.add(p);
  }
}

/** Check a whole list of entries at once (keyed: any order). */
export function checkRestorePaths(entries: TreeEntry[], snapshotId: string): void {
  const c = new RestorePathCheck(snapshotId, true);
  for (const e of entries) c.add(e);
}
