import { entryKey, pathBytes } from '../fs/raw-path';

/** Two names of one folder in scan order (UTF-16 code units, as the scans sort them). */
export const cmpName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const SLASH = 0x2f;

/**
 * Tree order as every scan emits it and snapshots store it: per folder by name, a folder right
 * before its content (depth first). Compares display paths; two names of equal display form
 * (bytes that are not UTF-8) compare equal.
 */
export function cmpTreePath(a: string, b: string): number {
  // one pass over the characters, as comparing the split names would decide: where they first
  // differ, a name that ends there ('/') sorts first, else the code units decide; a path that
  // is a prefix of the other (its folder, or a shorter name) sorts first
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === SLASH) return -1;
    if (y === SLASH) return 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Two entries in tree order; names equal in display form but not in bytes sort by their bytes, as the scan sorts them. */
export function cmpTreeEntry(a: { path: string; rawPath?: string }, b: { path: string; rawPath?: string }): number {
  return cmpTreePath(a.path, b.path) || (entryKey(a) === entryKey(b) ? 0 : Buffer.compare(pathBytes(a), pathBytes(b)));
}
