import { TreeWriter } from './write-tree';
import { PackUploader } from './pack-uploader';
import type { Repository } from '../repo/repository';
import { assertReferencesSafe, canWithdraw, checkReferences, checkStoredSnapshot, ReferenceChecker, type ReferenceCheck } from '../maintenance/pack-safety';
import { backupTmpPrefix, planKey, snapshotKey } from '../repo/layout';
import type { SnapshotManifest } from '../repo/snapshot';
import { EntryAssembler, isRead } from './tree-entries';
import { loadPlan } from './plan-backup';
import { planPages } from './plan-pages';
import { BatchResults } from './batch-results';
import { abandonedKey } from '../repo/layout';
import { isAppendOnly } from '../store/append-only';
import { mapLimit } from '../../common/map-limit';

export interface CommitOptions {
  /** the clock the prune-safety check reads (tests drive it) */
  clock?: () => number;
  /** the snapshot the backup commits: lets a retry after a finished commit and cleanup return it */
  snapshotId?: string;
}

/**
 * Assemble the tree from the plan's pages and the batch results, streaming (a page and the one
 * read ahead, one batch and one tree blob in memory at a time), store it, then write the signed snapshot
 * (create-only): the snapshot is the commit point. Every blob it references must be in a pack
 * that exists and no prune is about to delete (pack-safety.ts), checked after the reference is
 * recorded: the file chunks are recorded in the work list (plan pages, batch results) before the
 * commit starts, so they are checked as the tree is written and a failure writes no snapshot;
 * the tree blobs are recorded by the snapshot alone, so they are checked after it is written and
 * a failure withdraws it. A race with prune can fail a backup but never commit a broken one.
 * Idempotent: a retry after a crash re-checks (reading the stored tree back) and cleans up.
 */
export async function commitBackup(repo: Repository, backupId: string, o: CommitOptions = {}): Promise<SnapshotManifest> {
  if (o.snapshotId && !(await repo.store.head(planKey(backupId))) && (await repo.store.head(snapshotKey(o.snapshotId)))) {
    return repo.loadSnapshot(o.snapshotId);
  }
  // the work list was complete before the commit started, so the file chunks' reading may begin
  // beside the plan's; the work list stays until the snapshot is written: what it finds safe stays safe
  const opening = ReferenceChecker.open(repo, o.clock);
  opening.catch(() => undefined);
  const plan = await loadPlan(repo, backupId);
  if (await repo.store.head(snapshotKey(plan.snapshotId))) {
    const m = await repo.loadSnapshot(plan.snapshotId);
    return settle(repo, backupId, m, () => checkStoredSnapshot(repo, m, o.clock));
  }

  const chunks = await opening;
  // the tree blobs deduplicate against the same reading: its index and the packs it found marked
  const up = new PackUploader(repo.store, chunks.index, repo.packSize, { avoid: chunks.markedPacks() });
  const tree = new TreeWriter(repo, up, plan.v === 2 ? plan.treeReuse : undefined);
  const results = new BatchResults(repo, backupId, plan.batches);
  const assembler = new EntryAssembler();
  const counts = { files: 0, dirs: 0, symlinks: 0, specials: 0, bytes: 0 };
  for await (const page of planPages(repo, plan)) {
    for (let k = 0; k < page.entries.length; k++) {
      const pe = page.entries[k];
      const i = page.first + k;
      const e = assembler.next(pe, i, isRead(pe) ? await results.chunksOf(i, pe.path) : undefined);
      if (e.type === 'file') {
        for (const c of e.chunks) chunks.add(c);
        counts.files++;
        counts.bytes += e.size;
      } else if (e.type === 'dir') counts.dirs++;
      else if (e.type === 'symlink') counts.symlinks++;
      else counts.specials++;
      await tree.add(e);
    }
  }
  const stats = await results.finish();
  const treeIds = await tree.finish();

  const manifest: SnapshotManifest = {
    v: 1,
    id: plan.snapshotId,
    time: plan.startedAt,
    host: plan.host,
    asset: plan.asset,
    source: plan.source,
    tags: plan.tags,
    strategy: plan.strategy,
    ...(plan.parent ? { parent: plan.parent } : {}),
    ...(plan.fullBase ? { fullBase: plan.fullBase } : {}),
    tree: treeIds,
    ...(plan.root ? { root: plan.root } : {}),
    stats: {
      ...stats,
      bytesUploaded: stats.bytesUploaded + up.bytesUploaded,
      packsWritten: stats.packsWritten + up.packsWritten,
      ...counts,
      filesUnchanged: plan.filesUnchanged,
      skipped: plan.skipped,
      warnings: plan.warnings?.length ?? 0,
    },
  };
  const treeCheck = () => checkReferences(repo, manifest.tree, o.clock);
  // a snapshot written without the lock's right to delete cannot be taken back: its tree blobs are checked before too
  for (const check of canWithdraw(repo) ? [chunks.result()] : [chunks.result(), await treeCheck()]) {
    if (check.unsafe.length) {
      await cleanupBackup(repo, backupId, 'abandoned');
      assertReferencesSafe(`backup ${backupId}: snapshot ${manifest.id} not written, run the backup again`, check);
    }
  }
  await repo.writeSnapshot(manifest);
  return settle(repo, backupId, manifest, treeCheck);
}

/** The post-commit check, then the work list goes. */
async function settle(repo: Repository, backupId: string, m: SnapshotManifest, postCheck: () => Promise<ReferenceCheck>): Promise<SnapshotManifest> {
  const check = await postCheck();
  if (check.unsafe.length) {
    if (!canWithdraw(repo)) {
      assertReferencesSafe(
        `backup ${backupId}: snapshot ${m.id} is committed but cannot be withdrawn (append-only or locked); it is incomplete, run the backup again`,
        check,
      );
    }
    await repo.store.delete(snapshotKey(m.id));
    await cleanupBackup(repo, backupId);
    assertReferencesSafe(`backup ${backupId}: snapshot ${m.id} withdrawn, run the backup again`, check);
  }
  await cleanupBackup(repo, backupId);
  return m;
}

/**
 * Remove a backup's work list (after commit, or when the backup is abandoned); the plan goes
 * last, so a retry still finds it. An append-only worker deletes nothing: a committed backup's
 * work list is recognised by its snapshot, an abandoned one by a marker, and prune sweeps both.
 */
export async function cleanupBackup(repo: Repository, backupId: string, why: 'committed' | 'abandoned' = 'committed'): Promise<void> {
  if (isAppendOnly(repo.store)) {
    if (why === 'abandoned') await repo.store.put(abandonedKey(backupId), Buffer.from(JSON.stringify({ v: 1, at: new Date().toISOString() })));
    return;
  }
  const plan = planKey(backupId);
  const objs = await repo.store.list(backupTmpPrefix(backupId));
  await mapLimit(
    objs.filter((o) => o.key !== plan),
    16,
    (o) => repo.store.delete(o.key),
  );
  await repo.store.delete(plan);
}
