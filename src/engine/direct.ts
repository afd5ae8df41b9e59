import { randomUUID } from 'node:crypto';
import { mapLimit } from '../common/map-limit';
import { commitBackup } from './backup/commit-backup';
import { planBackup, type PlanBackupOptions } from './backup/plan-backup';
import { runBackupBatch } from './backup/run-batch';
import { ChunkPool } from './chunker/pool';
import { ExactMtimes } from './fs/mtimes';
import type { AssetBuckets } from './limits/host-limits';
import type { Repository } from './repo/repository';
import type { SnapshotManifest } from './repo/snapshot';
import { abortRestore, cleanupRestore, finishRestore, type RestoreOutcome } from './restore/finish-restore';
import { planRestore, type PlanRestoreOptions } from './restore/plan-restore';
import { runRestoreBatch } from './restore/run-restore-batch';

/**
 * The whole backup or restore in one process, without Temporal: for benchmarks (engine-direct
 * vs through workflows), tests of the engine, and embedding.
 */
export async function backupDirect(
  repo: Repository,
  o: Omit<PlanBackupOptions, 'backupId' | 'snapshotId'> & { backupId?: string; assetLimits?: AssetBuckets },
  pool?: ChunkPool,
): Promise<SnapshotManifest> {
  const backupId = o.backupId ?? randomUUID();
  const snapshotId = randomUUID().replace(/-/g, '');
  // started only when there is something to read: a no-change run spares the threads' start-up and memory
  let ownPool: ChunkPool | undefined;
  try {
    const plan = await planBackup(repo, { ...o, backupId, snapshotId });
    const batches = Array.from({ length: plan.batches }, (_, i) => i);
    const chunkers = plan.bytesToRead > 0 ? (pool ?? (ownPool = new ChunkPool())) : undefined;
    await mapLimit(batches, 2, (batch) => runBackupBatch(repo, { backupId, batch, pool: chunkers, reader: o.reader, assetLimits: () => o.assetLimits ?? {} }));
    return await commitBackup(repo, backupId);
  } finally {
    await ownPool?.close();
  }
}

export async function restoreDirect(
  repo: Repository,
  o: Omit<PlanRestoreOptions, 'restoreId'> & { restoreId?: string },
  pool?: ChunkPool,
): Promise<RestoreOutcome> {
  const restoreId = o.restoreId ?? randomUUID();
  // started only when there are bytes to fetch: blobs are opened and checked on its threads
  let ownPool: ChunkPool | undefined;
  // one python3 process for every exact mtime of the restore, the batches' and the finish step's
  const exactMtimes = new ExactMtimes();
  try {
    const plan = await planRestore(repo, { ...o, restoreId });
    const batches = Array.from({ length: plan.batches }, (_, i) => i);
    const openers = plan.bytes > 0 ? (pool ?? (ownPool = new ChunkPool())) : undefined;
    await mapLimit(batches, 2, (batch) => runRestoreBatch(repo, { restoreId, batch, pool: openers, exactMtimes }));
    const out = await finishRestore(repo, restoreId, exactMtimes);
    await cleanupRestore(repo, restoreId);
    return out;
  } catch (e) {
    await abortRestore(repo, restoreId, undefined, o.target).catch(() => undefined);
    throw e;
  } finally {
    await exactMtimes.close();
    await ownPool?.close();
  }
}
