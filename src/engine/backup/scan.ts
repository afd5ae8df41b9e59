import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { BadInputError } from '../../common/errors';
import { isUtf8 } from 'node:buffer';
import { displayPath, entryKey, pathFields, type FsPath } from '../fs/raw-path';
import { readXattrs, type Xattrs } from '../fs/xattrs';
import type { RootMeta } from '../repo/tree';
import { cmpName } from '../source/tree-order';
import { entryFromStats, metaOf, type ScannedEntry, type ScannedFile } from './scan-entry';

export type { ScannedEntry, ScannedFile } from './scan-entry';

export interface ScanOptions {
  source: string;
  include?: string[];
  exclude?: string[];
  /** read extended attributes (default true; needs getfattr) */
  xattrs?: boolean;
}

export interface ScanResult {
  entries: ScannedEntry[];
  /** the source folder's own metadata */
  root: RootMeta;
  /** sockets: not backed up */
  skipped: string[];
  /** entries that vanished or could not be read during the scan: left out, the backup goes on */
  warnings: string[];
}

/**
 * Walk the source without following symlinks, in a stable order (sorted by name per folder;
 * names are read as bytes, so names that are not UTF-8 survive). `exclude` prunes whole
 * subtrees; with `include`, only matching entries are kept (and the folders that hold them).
 * An entry that vanishes before its lstat, or a folder that cannot be read, is a warning, not
 * a failure (like restic). Files sharing an inode get one `linkGroup` number.
 */
export async function scanSource(opts: ScanOptions): Promise<ScanResult> {
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
  const warnings: string[] = [];
  const inodes = new Map<string, ScannedFile[]>();
  const rootBytes = Buffer.from(`${root}/`);

  // a folder's relative path: a string while every name so far is UTF-8 (the cheap, common case), else bytes
  type Rel = { str: string; raw?: Buffer };
  const child = (dir: Rel | undefined, n: Buffer, nameStr: string, valid: boolean): Rel => {
    if (!dir) return valid ? { str: nameStr } : { str: nameStr, raw: n };
    const str = `${dir.str}/${nameStr}`;
    if (valid && !dir.raw) return { str };
    return { str, raw: Buffer.concat([dir.raw ?? Buffer.from(dir.str), Buffer.from('/'), n]) };
  };

  const walk = (dirAbs: FsPath, dirRel: Rel | undefined): boolean => {
    let names: Buffer[];
    try {
      names = fs.readdirSync(dirAbs, { encoding: 'buffer' });
    } catch (e) {
      if (!dirRel) throw new BadInputError(`source: cannot read folder ${root}: ${(e as Error).message}`);
      warnings.push(`${dirRel.str}: folder not readable, its content is not backed up (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      return false;
    }
    const sorted = names.map((n) => {
      const valid = isUtf8(n);
      return { n, valid, key: valid ? n.toString('utf8') : displayPath(n) };
    });
    sorted.sort((a, b) => cmpName(a.key, b.key) || Buffer.compare(a.n, b.n));
    let keptAny = false;
    for (const { n, valid, key } of sorted) {
      const relOf = child(dirRel, n, key, valid);
      const rel = relOf.str;
      const abs: FsPath = relOf.raw ? Buffer.concat([rootBytes, relOf.raw]) : `${root}/${rel}`;
      if (isExcluded(rel)) continue;
      let s: fs.BigIntStats;
      let e: ScannedEntry | 'skip';
      try {
        s = fs.lstatSync(abs, { bigint: true });
        e = entryFromStats(s, relOf.raw ? { path: rel, rawPath: relOf.raw.toString('base64') } : { path: rel }, () =>
          fs.readlinkSync(abs, { encoding: 'buffer' }),
        );
      } catch (err) {
        warnings.push(`${rel}: vanished or unreadable during the scan, not backed up (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        continue;
      }
      if (e === 'skip') {
        skipped.push(rel);
        continue;
      }
      if (e.type === 'dir') {
        const idx = entries.length;
        entries.push(e);
        const kept = walk(abs, relOf);
        if (!kept && opts.include?.length && !isIncluded(rel)) entries.splice(idx, 1);
        else keptAny = true;
        continue;
      }
      if (!isIncluded(rel)) continue;
      entries.push(e);
      keptAny = true;
      if (e.type === 'file' && s.nlink > 1n) {
        const k = `${s.dev}:${s.ino}`;
        const list = inodes.get(k) ?? [];
        list.push(e);
        inodes.set(k, list);
      }
    }
    return keptAny;
  };
  walk(root, undefined);

  // numbered in tree order, so an unchanged source numbers its groups the same way
  const keyOf = new Map<ScannedFile, string>();
  for (const [k, list] of inodes) if (list.length > 1) for (const f of list) keyOf.set(f, k);
  const numbers = new Map<string, number>();
  for (const e of entries) {
    const k = e.type === 'file' ? keyOf.get(e) : undefined;
    if (e.type !== 'file' || k === undefined) continue;
    let g = numbers.get(k);
    if (g === undefined) numbers.set(k, (g = numbers.size));
    e.linkGroup = g;
  }

  const rootMeta: RootMeta = metaOf(st);
  if (opts.xattrs !== false) {
    const x = await readXattrs(root);
    if (x.warning) warnings.push(x.warning);
    if (x.byPath?.size) {
      // getfattr names absolute paths: turn them into entry keys once, then look entries up by key
      const byKey = new Map<string, Xattrs>();
      const prefix = rootBytes.toString('latin1');
      for (const [abs, attrs] of x.byPath) {
        if (!Object.keys(attrs).length) continue;
        if (abs === root) rootMeta.xattrs = attrs;
        else if (abs.startsWith(prefix)) byKey.set(entryKey(pathFields(Buffer.from(abs.slice(prefix.length), 'latin1'))), attrs);
      }
      for (const e of entries) {
        const a = byKey.get(entryKey(e));
        if (a) e.xattrs = a;
      }
    }
  }
  return { entries, root: rootMeta, skipped, warnings };
}
