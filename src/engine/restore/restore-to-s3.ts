import { randomUUID } from 'node:crypto';
import type { Repository, SnapshotSelector } from '../repo/repository';
import type { S3Location } from '../source/s3-location';
import { cleanupRestore } from './finish-restore';
import { abortS3Restore, finishS3Restore, planS3Restore, runS3RestoreBatch } from './s3-restore-steps';

export interface RestoreToS3Options {
  restoreId?: string;
  asset?: string;
  snapshot: SnapshotSelector;
  /** the prefix that holds exactly the snapshot's files afterwards (keys outside the snapshot are deleted) */
  target: S3Location;
  paths?: string[];
}

export interface S3RestoreOutcome {
  snapshotId: string;
  target: string;
  files: number;
  bytes: number;
  /** the staging prefix the objects were written to before publishing */
  staging: string;
  /** what an object store cannot hold: folders, symlinks, special files, modes, owners, mtimes */
  warnings: string[];
}

/**
 * Restore a snapshot's files to an S3 prefix in this process: the restore workflow's steps
 * (s3-restore-steps.ts) run one after the other. Every object is staged below a prefix next to
 * the target, then published (s3-publish.ts); any failure rolls the target back to what it held.
 */
export async function restoreToS3(repo: Repository, o: RestoreToS3Options): Promise<S3RestoreOutcome> {
  const restoreId = o.restoreId ?? randomUUID();
  try {
    const plan = await planS3Restore(repo, { restoreId, asset: o.asset, snapshot: o.snapshot, target: o.target, paths: o.paths });
    for (let batch = 0; batch < plan.batches; batch++) await runS3RestoreBatch(repo, o.target, { restoreId, batch });
    const out = await finishS3Restore(repo, o.target, restoreId);
    await cleanupRestore(repo, restoreId);
    return { snapshotId: out.snapshotId, target: out.target, files: out.files, bytes: out.bytes, staging: plan.staging, warnings: plan.warnings ?? [] };
  } catch (e) {
    await abortS3Restore(repo, o.target, restoreId).catch(() => undefined);
    throw e;
  }
}
