import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { BadInputError } from '../../common/errors';
import { isUtf8 } from 'node:buffer';
import { displayPath, entryKey, pathFields, type FsPath } from '../fs/raw-path';
import { readXattrs, type Xattrs } from '../fs/xattrs';
import type { RootMeta } from '../repo/tree';
import { cmpName } from '../source/tree-order';
import { entryFromStats, metaOf, type ScannedEntry } from './scan-entry';

export type { ScannedEntry, ScannedFile } from './scan-entry';

export interface ScanOptions {
  source: string;
  include?: string[];
  exclude?: string[];
  /** read extended attributes (default true; needs getfattr) */
  xattrs?: boolean;
}

export interface ScanResult {
  /**
   * In tree order (source/tree-order.ts). A folder source walks as this is iterated, so no
   * step holds every entry: iterate it once, and read `skipped` and `warnings` after.
   */
  entries: Iterable<ScannedEntry>;
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
 * a failure (like restic). Files with more than one link get a `linkGroup` number per inode,
 * numbered in tree order as they are first seen, so an unchanged source numbers them the same
 * way (a file whose other links lie outside the source is a group of one). The walk runs as
 * `entries` is iterated: it holds one folder's names and the folders above, not the tree.
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
  const including = !!opts.include?.length;
  const isIncluded = including ? picomatch(opts.include ?? [], { dot: true }) : () => true;
  const skipped: string[] = [];
  const warnings: string[] = [];
  const rootBytes = Buffer.from(`${root}/`);
  const rootMeta: RootMeta = metaOf(st);
  const xattrsOf = await xattrsByKey(root, rootBytes, rootMeta, warnings, opts.xattrs !== false);

  // a folder's relative path: a string while every name so far is UTF-8 (the cheap, common case), else bytes
  type Rel = { str: string; raw?: Buffer };
  const child = (dir: Rel | undefined, n: Buffer, nameStr: string, valid: boolean): Rel => {
    if (!dir) return valid ? { str: nameStr } : { str: nameStr, raw: n };
    const str = `${dir.str}/${nameStr}`;
    if (valid && !dir.raw) return { str };
    return { str, raw: Buffer.concat([dir.raw ?? Buffer.from(dir.str), Buffer.from('/'), n]) };
  };
  // one walk's state: inode -> link group; with `include`, folders entered but not yet emitted (once something below them is kept)
  const groups = new Map<string, number>();
  const pending: ScannedEntry[] = [];
  function* flushPending(): Generator<ScannedEntry> {
    const out = pending.splice(0);
    yield* out;
  }

  const walk = function* (dirAbs: FsPath, dirRel: Rel | undefined): Generator<ScannedEntry, boolean> {
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
      const attrs = xattrsOf(e);
      if (e.type === 'dir') {
        if (attrs) e.xattrs = attrs;
        if (!including) {
          yield e;
          yield* walk(abs, relOf);
          keptAny = true;
          continue;
        }
        pending.push(e);
        yield* walk(abs, relOf);
        if (pending[pending.length - 1] !== e) keptAny = true;
        else if (isIncluded(rel)) {
          yield* flushPending();
          keptAny = true;
        } else pending.pop();
        continue;
      }
      if (!isIncluded(rel)) continue;
      if (e.type === 'file' && s.nlink > 1n) {
        const k = `${s.dev}:${s.ino}`;
        let g = groups.get(k);
        if (g === undefined) groups.set(k, (g = groups.size));
        e.linkGroup = g;
      }
      if (attrs) e.xattrs = attrs;
      yield* flushPending();
      yield e;
      keptAny = true;
    }
    return keptAny;
  };
  let walked = false;
  const entries = {
    [Symbol.iterator]: () => {
      if (walked) throw new Error('a folder scan is iterated once');
      walked = true;
      return walk(root, undefined);
    },
  };
  return { entries, root: rootMeta, skipped, warnings };
}

/** Extended attributes by entry key (read once for the whole tree with getfattr); the root's go into `rootMeta`. */
async function xattrsByKey(
  root: string,
  rootBytes: Buffer,
  rootMeta: RootMeta,
  warnings: string[],
  read: boolean,
): Promise<(e: { path: string; rawPath?: string }) => Xattrs | undefined> {
  if (!read) return () => undefined;
  const x = await readXattrs(root);
  if (x.warning) warnings.push(x.warning);
  if (!x.byPath?.size) return () => undefined;
  // getfattr names absolute paths: turn them into entry keys once, then look entries up by key
  const byKey = new Map<string, Xattrs>();
  const prefix = rootBytes.toString('latin1');
  for (const [abs, attrs] of x.byPath) {
    if (!Object.keys(attrs).length) continue;
    if (abs === root) rootMeta.xattrs = attrs;
    else if (abs.startsWith(prefix)) byKey.set(entryKey(pathFields(Buffer.from(abs.slice(prefix.length), 'latin1'))), attrs);
  }
  return (e) => byKey.get(entryKey(e));
}
