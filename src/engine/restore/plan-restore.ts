import { findSignedJson } from '../repo/json-documents';
import { restorePlanKey } from '../repo/layout';
import fs from 'node:fs';
import path from 'node:path';
import { BadInputError } from '../../common/errors';
import { writeSignedJson } from '../repo/signed-doc';
import type { Repository, SnapshotSelector } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';
import type { FileEntry, TreeEntry } from '../repo/tree';
import { RestorePlanSchema, type RestorePlan } from './restore-plan';
import { RestorePathCheck } from './safe-paths';
import { joinFs } from '../fs/raw-path';
import { isRoot, metadataWarnings } from './apply-metadata';
import { HardLinkSplitter } from './restore-items';
import { RestoreBatchWriter } from './restore-batches';
import { PathSelection } from './path-selection';

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
): Promise<{ batches: number; bytes: number }> {
  const w = new RestoreBatchWriter(repo, o.restoreId, staging, snapshot, o);
  for (const f of writes) await w.add(f);
  await w.flush();
  return { batches: w.batches, bytes: w.bytes };
}

/** The snapshot entries a `paths` filter keeps (with the folders that hold them); throws when it keeps nothing. */
export function selectPaths(entries: TreeEntry[], paths: string[] | undefined, snapshotId: string): TreeEntry[] {
  if (!paths?.length) return entries;
  const sel = new PathSelection(paths);
  for (const e of entries) sel.note(e);
  if (!sel.matched) throw nothingMatches(snapshotId, paths);
  return entries.filter((e) => sel.selects(e));
}

const nothingMatches = (snapshotId: string, paths: string[]) => new BadInputError(`paths: nothing in snapshot ${snapshotId} matches ${paths.join(', ')}`);

/**
 * The first pass over a snapshot's tree, blob by blob, before anything is written: every path
 * checked (safe-paths.ts; a tree out of tree order is read a second time, keyed) and, with a
 * `paths` filter, the folders it needs noted.
 */
async function checkTree(repo: Repository, m: SnapshotManifest, sel: PathSelection | undefined): Promise<void> {
  const check = new RestorePathCheck(m.id);
  for await (const entries of repo.treeBlobs(m))
    for (const e of entries) {
      check.add(e);
      sel?.note(e);
    }
  if (!check.ordered) {
    const keyed = new RestorePathCheck(m.id, true);
    for await (const entries of repo.treeBlobs(m)) for (const e of entries) keyed.add(e);
  }
}

/** Entries that decide the metadata warnings (metadataWarnings), so the plan step need not keep every entry for them. */
function warningSample(): { note(e: TreeEntry): void; entries: TreeEntry[] } {
  const entries: TreeEntry[] = [];
  let owner = false;
  return {
    entries,
    note(e) {
      const owned = e.uid !== undefined && e.gid !== undefined;
      if (e.mode & 0o6000 || e.type === 'chardev' || e.type === 'blockdev' || (owned && !owner)) entries.push(e);
      owner ||= owned;
    },
  };
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
  const sel = o.paths?.length ? new PathSelection(o.paths) : undefined;
  await checkTree(repo, m, sel);
  if (sel && !sel.matched) throw nothingMatches(m.id, o.paths ?? []);
  const staging = stagingFor(target, o.restoreId);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.mkdirSync(staging, { recursive: true, mode: 0o700 });

  // the second pass: folders made, files into batch work lists as they fill, the rest into the plan
  const batches = new RestoreBatchWriter(repo, o.restoreId, staging, m, o);
  const links = new HardLinkSplitter();
  const sample = warningSample();
  const others: TreeEntry[] = [];
  let files = 0;
  for await (const entries of repo.treeBlobs(m))
    for (const e of entries) {
      if (sel && !sel.selects(e)) continue;
      sample.note(e);
      if (e.type !== 'file') {
        if (e.type === 'dir') fs.mkdirSync(joinFs(staging, e), { recursive: true });
        others.push(e);
        continue;
      }
      files++;
      if (links.add(e)) await batches.add(e);
    }
  await batches.flush();
  const plan: RestorePlan = {
    v: 1,
    restoreId: o.restoreId,
    snapshotId: m.id,
    target,
    staging,
    others,
    ...(links.hardlinks.length ? { hardlinks: links.hardlinks } : {}),
    ...(m.root ? { root: m.root } : {}),
    batches: batches.batches,
    files,
    bytes: batches.bytes,
  };
  await writeSignedJson(repo, key, plan);
  const warnings = metadataWarnings(sample.entries, isRoot());
  return {
    restoreId: o.restoreId,
    snapshotId: m.id,
    snapshotTime: m.time,
    asset: m.asset,
    target,
    staging,
    batches: batches.batches,
    files,
    bytes: batches.bytes,
    ...(warnings.length ? { warnings } : {}),
  };
}
