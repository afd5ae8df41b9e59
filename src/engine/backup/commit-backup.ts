import { IntegrityError } from '../../common/errors';
import { PackUploader } from './pack-uploader';
import type { Repository } from '../repo/repository';
import { backupTmpPrefix } from '../repo/layout';
import type { SnapshotManifest } from '../repo/snapshot';
import { encodeTreeBlobs } from '../repo/tree';
import { assembleEntries } from './tree-entries';
import { loadPlan } from './plan-backup';
import { batchKey, BatchResultSchema, BatchSchema, readJson, resultKey } from './work-plan';

/**
 * Assemble the tree from the plan and the batch results, store it, then write the signed
 * snapshot (create-only): the snapshot is the commit point. Idempotent.
 */
export async function commitBackup(repo: Repository, backupId: string): Promise<SnapshotManifest> {
  const plan = await loadPlan(repo, backupId);
  const existing = await repo.store.head(`snapshots/${plan.snapshotId}`);
  if (existing) return repo.loadSnapshot(plan.snapshotId);

  const stats = { filesRead: 0, bytesRead: 0, chunksNew: 0, bytesNew: 0, bytesUploaded: 0, packsWritten: 0 };
  const sections = new Map<number, { start: number; chunks: string[] }[]>();
  for (let b = 0; b < plan.batches; b++) {
    const batch = await readJson(repo.store, batchKey(backupId, b), BatchSchema);
    const result = await readJson(repo.store, resultKey(backupId, b), BatchResultSchema);
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
  const up = new PackUploader(repo.store, index, repo.packSize);
  const treeIds: string[] = [];
  for (const blob of encodeTreeBlobs(entries)) {
    const id = repo.codec.id(blob);
    treeIds.push(id);
    if (up.add(id, 'tree', repo.codec.encode(blob))) await up.flush();
  }
  await up.flush();
  await up.drain();

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
  await repo.writeSnapshot(manifest);
  await cleanupBackup(repo, backupId);
  return manifest;
}

/** Remove a backup's work list (after commit, or when the backup is abandoned). */
export async function cleanupBackup(repo: Repository, backupId: string): Promise<void> {
  const objs = await repo.store.list(backupTmpPrefix(backupId));
  for (const o of objs) await repo.store.delete(o.key);
}
