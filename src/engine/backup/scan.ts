import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { BadInputError } from '../../common/errors';
import type { TreeEntry } from '../repo/tree';

export interface ScanOptions {
  source: string;
  include?: string[];
  exclude?: string[];
}

export interface ScannedFile {
  type: 'file';
  path: string;
  mode: number;
  mtimeNs: string;
  size: number;
  ino: number;
  ctimeNs: string;
}
export type ScannedEntry = ScannedFile | Exclude<TreeEntry, { type: 'file' }>;

export interface ScanResult {
  entries: ScannedEntry[];
  /** sockets, fifos and devices: not backed up */
  skipped: string[];
}

/**
 * Walk the source without following symlinks, in a stable order (sorted by name per folder).
 * `exclude` prunes whole subtrees; with `include`, only matching files are kept (and the
 * folders that hold them).
 */
export function scanSource(opts: ScanOptions): ScanResult {
  const root = path.resolve(opts.source);
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(root, { bigint: true });
  } catch {
    throw new BadInputError(`source: ${root} does not exist or cannot be read`);
  }
  if (!st.isDirectory()) throw new BadInputError(`source: ${root} is not a directory`);
  const isExcluded = opts.exclude?.length ? picomatch(opts.exclude, { dot: true }) : () => false;
  const isIncluded = opts.include?.length ? picomatch(opts.include, { dot: true }) : () => true;
  const entries: ScannedEntry[] = [];
  const skipped: string[] = [];

  const walk = (dirAbs: string, dirRel: string): boolean => {
    let names: string[];
    try {
      names = fs.readdirSync(dirAbs);
    } catch (e) {
      throw new BadInputError(`source: cannot read folder ${dirAbs}: ${(e as Error).message}`);
    }
    names.sort();
    let keptAny = false;
    for (const name of names) {
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const abs = path.join(dirAbs, name);
      if (isExcluded(rel)) continue;
      const s = fs.lstatSync(abs, { bigint: true });
      const common = { path: rel, mode: Number(s.mode & 0o7777n), mtimeNs: s.mtimeNs.toString() };
      if (s.isDirectory()) {
        const idx = entries.length;
        entries.push({ type: 'dir', ...common });
        const kept = walk(abs, rel);
        if (!kept && opts.include?.length && !isIncluded(rel)) entries.splice(idx, 1);
        else keptAny = true;
      } else if (s.isFile()) {
        if (!isIncluded(rel)) continue;
        entries.push({ type: 'file', ...common, size: Number(s.size), ino: Number(s.ino), ctimeNs: s.ctimeNs.toString() });
        keptAny = true;
      } else if (s.isSymbolicLink()) {
        if (!isIncluded(rel)) continue;
        entries.push({ type: 'symlink', ...common, target: fs.readlinkSync(abs) });
        keptAny = true;
      } else {
        skipped.push(rel);
      }
    }
    return keptAny;
  };
  walk(root, '');
  return { entries, skipped };
}
