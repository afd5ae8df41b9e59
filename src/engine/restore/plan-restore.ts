import { findSignedJson } from '../repo/json-documents';
import { restoreBatchKey, restorePlanKey } from '../repo/layout';
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { BadInputError } from '../../common/errors';
import { writeSignedJson } from '../repo/signed-doc';
import type { Repository, SnapshotSelector } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';
import type { FileEntry, TreeEntry } from '../repo/tree';
import { RestorePlanSchema, type RestoreItem, type RestorePlan } from './restore-plan';
import { checkRestorePaths } from './safe-paths';
import { joinFs } from '../fs/raw-path';
import { isRoot, metadataWarnings } from './apply-metadata';
import { restoreItem, splitHardLinks } from './restore-items';

export interface PlanRestoreOptions {
  restoreId: string;
  asset?: string;
  snapshot: SnapshotSelector;
  /** absolute folder that will hold exactly the snapshot's content afterwards */
  target: string;
  /** keep only these paths (prefixes or globs) */
  paths?: string[];
  batchBytes?: number;
  batchFiles?: number;
}

export interface RestorePlanSummary {
  restoreId: string;
  snapshotId: string;
  snapshotTime: string;
  asset: string;
  target: string;
  staging: string;
  batches: number;
  files: number;
  bytes: number;
  /** metadata this process cannot restore (not root: owners, setuid/setgid bits, devices) */
  warnings?: string[];
}

export function stagingFor(target: string, restoreId: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.lepton-restore-${restoreId}`);
}

/** A target that is a symlink stays one: the restore goes into the folder it points to. */
function resolveTarget(raw: string): string {
  const target = path.resolve(raw);
  try {
    if (fs.lstatSync(target).isSymbolicLink()) return fs.realpathSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return target;
}

/** The snapshot a restore selects; one of another asset than the one named is refused. */
export async function resolveRestoreSnapshot(repo: Repository, asset: string | undefined, snapshot: SnapshotSelector): Promise<SnapshotManifest> {
  const m = await repo.resolveSnapshot(asset, snapshot);
  if (asset && m.asset !== asset) throw new BadInputError(`snapshot ${m.id} belongs to asset "${m.asset}", not "${asset}"`);
  return m;
}

/** Split the files to write into batches of about `batchBytes` or `batchFiles` and store their work lists. */
export async function writeRestoreBatches(
  repo: Repository,
  o: Pick<PlanRestoreOptions, 'restoreId' | 'batchBytes' | 'batchFiles'>,
  staging: string,
  snapshot: Pick<SnapshotManifest, 'id' | 'asset'>,
  writes: FileEntry[],
): Promise<{ batches: RestoreItem[][]; bytes: number }> {
  const batchBytes = o.batchBytes ?? 256 * 1024 * 1024;
  const batchFiles = o.batchFiles ?? 5000;
  const batches: RestoreItem[][] = [];
  let cur: RestoreItem[] = [];
  let curBytes = 0;
  let bytes = 0;
  for (const f of writes) {
    cur.push(restoreItem(f));
    curBytes += f.size;
    bytes += f.size;
    if (curBytes >= batchBytes || cur.length >= batchFiles) {
      batches.push(cur);
      cur = [];
      curBytes = 0;
    }
  }
  if (cur.length) batches.push(cur);
  for (let i = 0; i < batches.length; i++) {
    await writeSignedJson(repo, restoreBatchKey(o.restoreId, i), { v: 1, staging, snapshotId: snapshot.id, asset: snapshot.asset, items: batches[i] });
  }
  return { batches, bytes };
}

/** The snapshot entries a `paths` filter keeps (with the folders that hold them); throws when it keeps nothing. */
export function selectPaths(entries: TreeEntry[], paths: string[] | undefined, snapshotId: string): TreeEntry[] {
  if (!paths?.length) return entries;
  const kept = filterPaths(entries, paths);
  if (!kept.some((e) => e.type !== 'dir' || paths.includes(e.path)))
    throw new BadInputError(`paths: nothing in snapshot ${snapshotId} matches ${paths.join(', ')}`);
  return kept;
}

function filterPaths(entries: TreeEntry[], paths: string[]): TreeEntry[] {
  const norm = paths.map((p) => p.replace(/^\.?\/+/, '').replace(/\/+$/, ''));
  const glob = picomatch(norm, { dot: true });
  const keep = (p: string) => norm.some((n) => p === n || p.startsWith(`${n}/`)) || glob(p);
  const kept = entries.filter((e) => keep(e.path));
  const need = new Set<string>();
  for (const e of kept) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) need.add(parts.slice(0, i).join('/'));
  }
  return entries.filter((e) => keep(e.path) || (e.type === 'dir' && need.has(e.path)));
}

/** Resolve the snapshot, check every path, create the staging folder and write the work list. Idempotent. */
export async function planRestore(repo: Repository, o: PlanRestoreOptions): Promise<RestorePlanSummary> {
  if (!path.isAbsolute(o.target)) throw new BadInputError(`target: "${o.target}" must be an absolute path`);
  const target = resolveTarget(o.target);
  if (target === path.parse(target).root) throw new BadInputError('target: refusing to restore over the filesystem root');
  const key = restorePlanKey(o.restoreId);
  const p = await findSignedJson(repo, key, RestorePlanSchema);
  if (p) {
    const m = await repo.loadSnapshot(p.snapshotId);
    fs.mkdirSync(p.staging, { recursive: true });
    return {
      restoreId: p.restoreId,
      snapshotId: p.snapshotId,
      snapshotTime: m.time,
      asset: m.asset,
      target: p.target,
      staging: p.staging,
      batches: p.batches,
      files: p.files,
      bytes: p.bytes,
    };
  }
  const m = await resolveRestoreSnapshot(repo, o.asset, o.snapshot);
  const all = await repo.loadTree(m);
  checkRestorePaths(all, m.id);
  const entries = selectPaths(all, o.paths, m.id);
  const staging = stagingFor(target, o.restoreId);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
  for (const e of entries) if (e.type === 'dir') fs.mkdirSync(joinFs(staging, e), { recursive: true });

  const files = entries.filter((e): e is FileEntry => e.type === 'file');
  const { writes, hardlinks } = splitHardLinks(files);
  const { batches, bytes } = await writeRestoreBatches(repo, o, staging, m, writes);
  const plan: RestorePlan = {
    v: 1,
    restoreId: o.restoreId,
    snapshotId: m.id,
    target,
    staging,
    others: entries.filter((e) => e.type !== 'file'),
    ...(hardlinks.length ? { hardlinks } : {}),
    ...(m.root ? { root: m.root } : {}),
    batches: batches.length,
    files: files.length,
    bytes,
  };
  await writeSignedJson(repo, key, plan);
  const warnings = metadataWarnings(entries, isRoot());
  return {
    restoreId: o.restoreId,
    snapshotId: m.id,
    snapshotTime: m.time,
    asset: m.asset,
    target,
    staging,
    batches: batches.length,
    files: files.length,
    bytes,
    ...(warnings.length ? { warnings } : {}),
  };
}
