import { findSignedJson } from '../repo/json-documents';
import { restorePlanKey } from '../repo/layout';
import fs from 'node:fs';
import path from 'node:path';
import { BadInputError } from '../../common/errors';
import { writeSignedJson } from '../repo/signed-doc';
import type { Repository, SnapshotSelector } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';
import type { TreeEntry } from '../repo/tree';
import { RestorePlanSchema, type RestorePlan } from './restore-plan';
import { joinFs } from '../fs/raw-path';
import { isRoot, metadataWarnings } from './apply-metadata';
import { HardLinkSplitter } from './restore-items';
import { RestoreBatchWriter } from './restore-batches';
import { walkRestoreTree, type RestoreSink } from './restore-walk';
import { cleanupRestore } from './finish-restore';

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

/**
 * Where a folder restore's plan puts the entries it keeps, as they come: folders made in the
 * staging folder, files into batch work lists as they fill (later hard-link members aside), the
 * rest into the plan.
 */
class FolderPlan implements RestoreSink {
  readonly batches: RestoreBatchWriter;
  readonly links = new HardLinkSplitter();
  readonly sample = warningSample();
  readonly others: TreeEntry[] = [];
  files = 0;

  constructor(
    repo: Repository,
    o: PlanRestoreOptions,
    private readonly staging: string,
    m: SnapshotManifest,
  ) {
    this.batches = new RestoreBatchWriter(repo, o.restoreId, staging, m, o);
  }

  async add(e: TreeEntry): Promise<void> {
    this.sample.note(e);
    if (e.type !== 'file') {
      if (e.type === 'dir') fs.mkdirSync(joinFs(this.staging, e), { recursive: true });
      this.others.push(e);
      return;
    }
    this.files++;
    if (this.links.add(e)) await this.batches.add(e);
  }
}

/** What a refused plan wrote: its batch work lists and the staging folder. */
async function discardPlan(repo: Repository, restoreId: string, staging: string): Promise<void> {
  await cleanupRestore(repo, restoreId);
  fs.rmSync(staging, { recursive: true, force: true });
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
  const staging = stagingFor(target, o.restoreId);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
  let sink: FolderPlan;
  try {
    sink = await walkRestoreTree(repo, m, o.paths, () => new FolderPlan(repo, o, staging, m));
    await sink.batches.flush();
  } catch (e) {
    // refused (an unsafe path, nothing matches): nothing of this restore stays behind
    if (e instanceof BadInputError) await discardPlan(repo, o.restoreId, staging);
    throw e;
  }
  const { batches, links, sample, others, files } = sink;
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
