import { entryKey, pathBytes } from '../fs/raw-path';

/** Two names of one folder in scan order (UTF-16 code units, as the scans sort them). */
export const cmpName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Tree order as every scan emits it and snapshots store it: per folder by name, a folder right
 * before its content (depth first). Compares display paths; two names of equal display form
 * (bytes that are not UTF-8) compare equal.
 */
export function cmpTreePath(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = cmpName(pa[i], pb[i]);
    if (c) return c;
  }
  return pa.length - pb.length;
}

/** Two entries in tree order; names equal in display form but not in bytes sort by their bytes, as the scan sorts them. */
export function cmpTreeEntry(a: { path: string; rawPath?: string }, b: { path: string; rawPath?: string }): number {
  return cmpTreePath(a.path, b.path) || (entryKey(a) === entryKey(b) ? 0 : Buffer.compare(pathBytes(a), pathBytes(b)));
}
