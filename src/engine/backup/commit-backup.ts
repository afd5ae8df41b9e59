import { writeTreeBlobs } from './write-tree';
import { IntegrityError } from '../../common/errors';
import { PackUploader } from './pack-uploader';
import type { Repository } from '../repo/repository';
import { assertReferencesSafe, checkReferences, markedPacks } from '../maintenance/pack-safety';
import { backupTmpPrefix, batchKey, planKey, resultKey, snapshotKey } from '../repo/layout';
import type { SnapshotManifest } from '../repo/snapshot';
import type { TreeEntry } from '../repo/tree';
import { assembleEntries } from './tree-entries';
import { loadPlan } from './plan-backup';
import { readSignedJson } from '../repo/signed-doc';
import { BatchResultSchema, BatchSchema } from './work-plan';
import { isAppendOnly } from '../store/append-only';
import { objectLockOf } from '../store/object-lock';
import { abandonedKey } from '../repo/layout';

export interface CommitOptions {
  /** the clock the prune-safety check reads (tests drive it) */
  clock?: () => number;
  /** the snapshot the backup commits: lets a retry after a finished commit and cleanup return it */
  snapshotId?: string;
}

/**
 * Assemble the tree from the plan and the batch results, store it, then write the signed
 * snapshot (create-only): the snapshot is the commit point. Then check that every blob it
 * references is in a pack that exists and no prune is about to delete (pack-safety.ts); if
 * not, withdraw the snapshot and fail, so a race with prune can fail a backup but never commit
 * a broken one. Idempotent: a retry after a crash re-checks and cleans up.
 */
export async function commitBackup(repo: Repository, backupId: string, o: CommitOptions = {}): Promise<SnapshotManifest> {
  if (o.snapshotId && !(await repo.store.head(planKey(backupId))) && (await repo.store.head(snapshotKey(o.snapshotId)))) {
    return repo.loadSnapshot(o.snapshotId);
  }
  const plan = await loadPlan(repo, backupId);
  if (await repo.store.head(snapshotKey(plan.snapshotId))) {
    const m = await repo.loadSnapshot(plan.snapshotId);
    return settle(repo, backupId, m, await repo.loadTree(m), o);
  }

  const stats = { filesRead: 0, bytesRead: 0, chunksNew: 0, bytesNew: 0, bytesUploaded: 0, packsWritten: 0 };
  const sections = new Map<number, { start: number; chunks: string[] }[]>();
  for (let b = 0; b < plan.batches; b++) {
    const batch = await readSignedJson(repo, batchKey(backupId, b), BatchSchema);
    const result = await readSignedJson(repo, resultKey(backupId, b), BatchResultSchema);
    for (const k of Object.keys(stats) as (keyof typeof stats)[]) stats[k] += result.stats[k];
    batch.items.forEach((it, i) => {
      const list = sections.get(it.entry) ?? [];
      list.push({ start: it.start, chunks: result.chunks[i] });
      sections.set(it.entry, list);
    });
  }

  const entries = assembleEntries(plan, (i) => {
    const parts = sections.get(i);
    if (!parts) throw new IntegrityError(`backup ${backupId}: no batch result covers ${plan.entries[i].path}`);
    parts.sort((a, b) => a.start - b.start);
    return parts.flatMap((p) => p.chunks);
  });

  const index = await repo.loadIndex(true);
  const up = new PackUploader(repo.store, index, repo.packSize, undefined, await markedPacks(repo, (o.clock ?? Date.now)()));
  const treeIds = await writeTreeBlobs(repo, up, entries);

  let files = 0;
  let dirs = 0;
  let symlinks = 0;
  let specials = 0;
  let bytes = 0;
  for (const e of entries) {
    if (e.type === 'file') {
      files++;
      bytes += e.size;
    } else if (e.type === 'dir') dirs++;
    else if (e.type === 'symlink') symlinks++;
    else specials++;
  }
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
      files,
      dirs,
      symlinks,
      bytes,
      filesUnchanged: plan.filesUnchanged,
      skipped: plan.skipped,
      specials,
      warnings: plan.warnings?.length ?? 0,
    },
  };
  if (!canWithdraw(repo)) {
    // the same check before the commit point too: a snapshot written here cannot be taken back
    const check = await checkReferences(repo, referencedBlobs(manifest, entries), o.clock);
    if (check.unsafe.length) {
      await cleanupBackup(repo, backupId, 'abandoned');
      assertReferencesSafe(`backup ${backupId}: snapshot ${manifest.id} not written, run the backup again`, check);
    }
  }
  await repo.writeSnapshot(manifest);
  return settle(repo, backupId, manifest, entries, o);
}

/** A snapshot can be withdrawn unless deletes are refused (append-only) or it is locked (immutability). */
const canWithdraw = (repo: Repository): boolean => !isAppendOnly(repo.store) && !objectLockOf(repo.store);

function referencedBlobs(m: SnapshotManifest, entries: TreeEntry[]): Set<string> {
  const blobs = new Set(m.tree);
  for (const e of entries) if (e.type === 'file') e.chunks.forEach((c) => blobs.add(c));
  return blobs;
}

/** The post-commit check, then the work list goes. */
async function settle(repo: Repository, backupId: string, m: SnapshotManifest, entries: TreeEntry[], o: CommitOptions): Promise<SnapshotManifest> {
  const check = await checkReferences(repo, referencedBlobs(m, entries), o.clock);
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
  for (const o of objs) if (o.key !== plan) await repo.store.delete(o.key);
  await repo.store.delete(plan);
}
