import { findSignedJson } from '../repo/json-documents';
import os from 'node:os';
import { NotFoundError } from '../../common/errors';
import type { Repository } from '../repo/repository';
import { batchKey, planKey, snapshotKey } from '../repo/layout';
import type { SnapshotManifest } from '../repo/snapshot';
import type { TreeEntry } from '../repo/tree';
import { entryKey } from '../fs/raw-path';
import type { S3Endpoint } from '../../config/plan-schema';
import { unchanged } from '../source/change-key';
import { openSource } from '../source/open-source';
import type { BackupSource } from '../source/source';
import { readSignedJson, writeSignedJson } from '../repo/signed-doc';
import { BackupPlanSchema, type BackupPlan, type WorkItem } from './work-plan';

export type Strategy = 'full' | 'incremental' | 'differential';

export interface PlanBackupOptions {
  backupId: string;
  snapshotId: string;
  asset: string;
  /** a folder path or s3://bucket/prefix */
  source: string;
  /** connection of an s3:// source */
  s3?: S3Endpoint;
  /** the source already open (tests wrap its client); else opened from `source` and `s3` */
  reader?: BackupSource;
  include?: string[];
  exclude?: string[];
  tags?: string[];
  strategy: Strategy;
  host?: string;
  /** a batch ends once it holds this many bytes to read ... */
  batchBytes?: number;
  /** ... or this many files */
  batchFiles?: number;
  /** files larger than this are split into sections that batches handle in parallel */
  sectionBytes?: number;
}

export interface PlanSummary {
  backupId: string;
  snapshotId: string;
  parent?: string;
  strategy: Strategy;
  batches: number;
  files: number;
  bytes: number;
  filesToRead: number;
  bytesToRead: number;
  /** entries the scan left out (vanished, unreadable): the first 100 */
  warnings: string[];
  warningCount: number;
}

const itemPath = (e: { path: string; rawPath?: string; etag?: string }) => ({
  path: e.path,
  ...(e.rawPath !== undefined ? { rawPath: e.rawPath } : {}),
  ...(e.etag !== undefined ? { etag: e.etag } : {}),
});

/** Pick the snapshot whose metadata lets unchanged files skip reading. */
/**
 * The parent and its files by entry key. A parent forgotten (and its tree pruned) between the
 * choice and the read is not an error: the next newest is chosen.
 */
async function loadParent(repo: Repository, asset: string, strategy: Strategy): Promise<{ parent?: SnapshotManifest; parentFiles: Map<string, TreeEntry> }> {
  for (let attempt = 1; ; attempt++) {
    const parent = await findParent(repo, asset, strategy);
    const parentFiles = new Map<string, TreeEntry>();
    if (!parent) return { parentFiles };
    try {
      for (const e of await repo.loadTree(parent)) parentFiles.set(entryKey(e), e);
      return { parent, parentFiles };
    } catch (e) {
      if (attempt >= 3 || (await repo.store.head(snapshotKey(parent.id)))) throw e;
    }
  }
}

async function findParent(repo: Repository, asset: string, strategy: Strategy): Promise<SnapshotManifest | undefined> {
  if (strategy === 'full') return undefined;
  const snaps = await repo.listSnapshots({ asset });
  const pool = strategy === 'differential' ? snaps.filter((s) => s.strategy === 'full') : snaps;
  return pool[pool.length - 1];
}

/**
 * Scan the source, diff it against the parent and write the work list into the repository.
 * Idempotent: a second call with the same backupId returns the stored plan.
 */
export async function planBackup(repo: Repository, o: PlanBackupOptions): Promise<PlanSummary> {
  const existing = await findSignedJson(repo, planKey(o.backupId), BackupPlanSchema);
  if (existing) return summarise(existing);

  const { parent, parentFiles } = await loadParent(repo, o.asset, o.strategy);

  const reader = o.reader ?? openSource(o.source, o.s3);
  let scan;
  try {
    scan = await reader.scan({ include: o.include, exclude: o.exclude });
  } finally {
    if (!o.reader) reader.close?.();
  }
  const batchBytes = o.batchBytes ?? 256 * 1024 * 1024;
  const batchFiles = o.batchFiles ?? 5000;
  // one section is one chunking task held in memory whole (read buffer, then pack parts): keep it at the task size
  const sectionBytes = o.sectionBytes ?? 16 * 1024 * 1024;

  const entries: BackupPlan['entries'] = [];
  const batches: WorkItem[][] = [];
  let cur: WorkItem[] = [];
  let curBytes = 0;
  let filesUnchanged = 0;
  // hard-link group -> entry index of its first member, whose chunks the others share
  const leaders = new Map<number, number>();
  const closeBatch = () => {
    if (cur.length) batches.push(cur);
    cur = [];
    curBytes = 0;
  };

  for (const e of scan.entries) {
    if (e.type !== 'file') {
      entries.push(e);
      continue;
    }
    const lead = e.linkGroup !== undefined ? leaders.get(e.linkGroup) : undefined;
    if (lead !== undefined) {
      const le = entries[lead];
      entries.push(le.type === 'file' && 'pending' in le ? { ...e, pending: true, leader: lead } : { ...e, chunks: le.type === 'file' ? le.chunks : [] });
      continue;
    }
    if (e.linkGroup !== undefined) leaders.set(e.linkGroup, entries.length);
    // metadata always comes from this scan: only the chunks are reused
    const prev = parentFiles.get(entryKey(e));
    if (unchanged(prev, e)) {
      entries.push({ ...e, chunks: prev.chunks });
      filesUnchanged++;
      continue;
    }
    const idx = entries.length;
    entries.push({ ...e, pending: true });
    if (e.size === 0) {
      cur.push({ entry: idx, ...itemPath(e), size: 0, start: 0, end: 0 });
      continue;
    }
    for (let start = 0; start < e.size; start += sectionBytes) {
      const end = Math.min(e.size, start + sectionBytes);
      cur.push({ entry: idx, ...itemPath(e), size: e.size, start, end });
      curBytes += end - start;
      if (curBytes >= batchBytes || cur.length >= batchFiles) closeBatch();
    }
  }
  closeBatch();

  const plan: BackupPlan = {
    v: 1,
    backupId: o.backupId,
    snapshotId: o.snapshotId,
    asset: o.asset,
    source: o.source,
    ...(o.s3 ? { s3: o.s3 } : {}),
    host: o.host ?? os.hostname(),
    tags: o.tags ?? [],
    strategy: o.strategy,
    parent: parent?.id,
    fullBase: o.strategy === 'full' ? o.snapshotId : o.strategy === 'differential' ? parent?.id : parent?.fullBase,
    startedAt: new Date().toISOString(),
    entries,
    batches: batches.length,
    filesUnchanged,
    skipped: scan.skipped.length,
    root: scan.root,
    ...(scan.warnings.length ? { warnings: scan.warnings } : {}),
  };
  for (let i = 0; i < batches.length; i++)
    await writeSignedJson(repo, batchKey(o.backupId, i), { v: 1, asset: o.asset, source: o.source, ...(o.s3 ? { s3: o.s3 } : {}), items: batches[i] });
  // the plan goes last: its presence means the work list is complete
  await writeSignedJson(repo, planKey(o.backupId), plan);
  return summarise(plan);
}

export async function loadPlan(repo: Repository, backupId: string): Promise<BackupPlan> {
  try {
    return await readSignedJson(repo, planKey(backupId), BackupPlanSchema);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`backup ${backupId} has no work plan in the repository`);
    throw e;
  }
}

function summarise(p: BackupPlan): PlanSummary {
  let bytes = 0;
  let bytesToRead = 0;
  let files = 0;
  let filesToRead = 0;
  for (const e of p.entries) {
    if (e.type !== 'file') continue;
    files++;
    bytes += e.size;
    if ('pending' in e && e.leader === undefined) {
      filesToRead++;
      bytesToRead += e.size;
    }
  }
  return {
    backupId: p.backupId,
    snapshotId: p.snapshotId,
    parent: p.parent,
    strategy: p.strategy,
    batches: p.batches,
    files,
    bytes,
    filesToRead,
    bytesToRead,
    warnings: (p.warnings ?? []).slice(0, 100),
    warningCount: p.warnings?.length ?? 0,
  };
}
