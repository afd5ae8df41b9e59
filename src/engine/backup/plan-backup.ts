import { findSignedJson } from '../repo/json-documents';
import os from 'node:os';
import { NotFoundError } from '../../common/errors';
import type { Repository } from '../repo/repository';
import { batchKey, planKey, snapshotKey } from '../repo/layout';
import type { SnapshotManifest } from '../repo/snapshot';
import type { S3Endpoint } from '../../config/plan-schema';
import { unchanged } from '../source/change-key';
import { openSource } from '../source/open-source';
import type { BackupSource } from '../source/source';
import { readSignedJson, writeSignedJson } from '../repo/signed-doc';
import { BackupPlanSchema, type BackupPlan, type PagedBackupPlan, type PlanEntry, type WorkItem } from './work-plan';
import { ParentCursor } from './parent-cursor';
import { PlanPageWriter } from './plan-pages';
import { EntryAssembler } from './tree-entries';
import { TreeReusePlanner } from './tree-reuse';
import type { ScanResult } from './scan';

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
  /** entries per page of the plan (plan-pages.ts) */
  pageEntries?: number;
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
async function findParent(repo: Repository, asset: string, strategy: Strategy): Promise<SnapshotManifest | undefined> {
  if (strategy === 'full') return undefined;
  // the parent's tree is read through the index: it loads beside the choice
  const [snaps] = await Promise.all([repo.listSnapshots({ asset }), repo.loadIndex()]);
  const pool = strategy === 'differential' ? snaps.filter((s) => s.strategy === 'full') : snaps;
  return pool[pool.length - 1];
}

/**
 * Scan the source, diff it against the parent and write the work list into the repository.
 * Idempotent: a second call with the same backupId returns the stored plan. A parent forgotten
 * (and its tree pruned) between the choice and the read is not an error: the next newest is chosen.
 */
export async function planBackup(repo: Repository, o: PlanBackupOptions): Promise<PlanSummary> {
  // the parent is looked for beside the stored plan: only a retry that finds its plan wastes the lookup
  const parentOf = () => findParent(repo, o.asset, o.strategy);
  const firstParent = parentOf();
  firstParent.catch(() => undefined);
  const existing = await findSignedJson(repo, planKey(o.backupId), BackupPlanSchema);
  if (existing) return summary(existing);

  const reader = o.reader ?? (await openSource(o.source, o.s3));
  try {
    for (let attempt = 1; ; attempt++) {
      // a folder source walks while the work list is written: the scan is iterated once per attempt
      const [parent, scan] = await Promise.all([attempt === 1 ? firstParent : parentOf(), reader.scan({ include: o.include, exclude: o.exclude })]);
      try {
        return summary(await writeWorkList(repo, o, scan, parent));
      } catch (e) {
        if (!parent || attempt >= 3 || (await repo.store.head(snapshotKey(parent.id)))) throw e;
      }
    }
  } finally {
    if (!o.reader) reader.close?.();
  }
}

async function writeWorkList(repo: Repository, o: PlanBackupOptions, scan: ScanResult, parent: SnapshotManifest | undefined): Promise<PagedBackupPlan> {
  const pages = new PlanPageWriter(repo, o.backupId, o.pageEntries);
  try {
    return await walkScan(repo, o, scan, parent, pages);
  } finally {
    await pages.idle();
  }
}

/** Walk the scan in tree order beside the parent's tree, writing entry pages and batches as they fill; the plan goes last. */
async function walkScan(
  repo: Repository,
  o: PlanBackupOptions,
  scan: ScanResult,
  parent: SnapshotManifest | undefined,
  pages: PlanPageWriter,
): Promise<PagedBackupPlan> {
  const batchBytes = o.batchBytes ?? 256 * 1024 * 1024;
  const batchFiles = o.batchFiles ?? 5000;
  // one section is one chunking task held in memory whole (read buffer, then pack parts): keep it at the task size
  const sectionBytes = o.sectionBytes ?? 16 * 1024 * 1024;
  // without a parent there is no blob to reuse
  const reuse = parent ? new TreeReusePlanner() : undefined;
  const prior = new ParentCursor(repo, parent, (b) => reuse?.offer(b));
  const assembler = new EntryAssembler();
  // each entry goes to the pages and, as the tree entry the commit will make of it when that is known now, to the reuse planner
  const push = async (pe: PlanEntry) => {
    const i = pages.count;
    reuse?.add(i, pe, 'pending' in pe ? undefined : assembler.next(pe, i));
    await pages.push(pe);
  };
  const counts = { files: 0, bytes: 0, filesToRead: 0, bytesToRead: 0, filesUnchanged: 0 };
  let batches = 0;
  let cur: WorkItem[] = [];
  let curBytes = 0;
  // hard-link group -> its first member: entry index, and its chunks when unchanged
  const leaders = new Map<number, { index: number; chunks?: string[] }>();
  const closeBatch = async () => {
    if (cur.length)
      await writeSignedJson(repo, batchKey(o.backupId, batches++), { v: 1, asset: o.asset, source: o.source, ...(o.s3 ? { s3: o.s3 } : {}), items: cur });
    cur = [];
    curBytes = 0;
  };

  for (const e of scan.entries) {
    if (e.type !== 'file') {
      // the cursor keeps step with every entry, so the parent blob a new blob may equal has been read
      await prior.find(e);
      await push(e);
      continue;
    }
    counts.files++;
    counts.bytes += e.size;
    const lead = e.linkGroup !== undefined ? leaders.get(e.linkGroup) : undefined;
    if (lead !== undefined) {
      await prior.find(e);
      await push(lead.chunks ? { ...e, chunks: lead.chunks } : { ...e, pending: true, leader: lead.index });
      continue;
    }
    const idx = pages.count;
    // metadata always comes from this scan: only the chunks are reused
    const prev = await prior.find(e);
    if (unchanged(prev, e)) {
      if (e.linkGroup !== undefined) leaders.set(e.linkGroup, { index: idx, chunks: prev.chunks });
      await push({ ...e, chunks: prev.chunks });
      counts.filesUnchanged++;
      continue;
    }
    if (e.linkGroup !== undefined) leaders.set(e.linkGroup, { index: idx });
    await push({ ...e, pending: true });
    counts.filesToRead++;
    counts.bytesToRead += e.size;
    if (e.size === 0) {
      cur.push({ entry: idx, ...itemPath(e), size: 0, start: 0, end: 0 });
      continue;
    }
    for (let start = 0; start < e.size; start += sectionBytes) {
      const end = Math.min(e.size, start + sectionBytes);
      cur.push({ entry: idx, ...itemPath(e), size: e.size, start, end });
      curBytes += end - start;
      if (curBytes >= batchBytes || cur.length >= batchFiles) await closeBatch();
    }
  }
  await closeBatch();
  await pages.flush();
  reuse?.finish();

  const plan: PagedBackupPlan = {
    v: 2,
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
    pages: pages.pages,
    entryCount: pages.count,
    ...(reuse?.reuse.length ? { treeReuse: reuse.reuse } : {}),
    batches,
    ...counts,
    skipped: scan.skipped.length,
    root: scan.root,
    ...(scan.warnings.length ? { warnings: scan.warnings } : {}),
  };
  // the plan goes last: its presence means the work list is complete
  await writeSignedJson(repo, planKey(o.backupId), plan);
  return plan;
}

export async function loadPlan(repo: Repository, backupId: string): Promise<BackupPlan> {
  try {
    return await readSignedJson(repo, planKey(backupId), BackupPlanSchema);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`backup ${backupId} has no work plan in the repository`);
    throw e;
  }
}

const summary = (p: PagedBackupPlan | Extract<BackupPlan, { v: 1 }>, counts = p.v === 2 ? p : countV1(p)): PlanSummary => ({
  backupId: p.backupId,
  snapshotId: p.snapshotId,
  parent: p.parent,
  strategy: p.strategy,
  batches: p.batches,
  files: counts.files,
  bytes: counts.bytes,
  filesToRead: counts.filesToRead,
  bytesToRead: counts.bytesToRead,
  warnings: (p.warnings ?? []).slice(0, 100),
  warningCount: p.warnings?.length ?? 0,
});

/** The counts a v1 plan (entries inline) did not store. */
function countV1(p: Extract<BackupPlan, { v: 1 }>): Pick<PagedBackupPlan, 'files' | 'bytes' | 'filesToRead' | 'bytesToRead'> {
  const c = { files: 0, bytes: 0, filesToRead: 0, bytesToRead: 0 };
  for (const e of p.entries) {
    if (e.type !== 'file') continue;
    c.files++;
    c.bytes += e.size;
    if ('pending' in e && e.leader === undefined) {
      c.filesToRead++;
      c.bytesToRead += e.size;
    }
  }
  return c;
}
