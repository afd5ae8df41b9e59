import { CancelledFailure, Context } from '@temporalio/activity';
import { parseOrThrow } from '../common/zod-errors';
import type { Plan } from '../config/plan-schema';
import { cleanupBackup, commitBackup } from '../engine/backup/commit-backup';
import { BadInputError } from '../common/errors';
import { forgetSnapshots } from '../engine/maintenance/forget';
import { isAppendOnly } from '../engine/store/append-only';
import { planBackup } from '../engine/backup/plan-backup';
import { runBackupBatch, type BatchProgress } from '../engine/backup/run-batch';
import type { ChunkPool } from '../engine/chunker/pool';
import type { Repository } from '../engine/repo/repository';
import type { SnapshotManifest } from '../engine/repo/snapshot';
import { abortRestore, cleanupRestore, finishRestore } from '../engine/restore/finish-restore';
import { planRestore } from '../engine/restore/plan-restore';
import { runRestoreBatch, type RestoreProgress } from '../engine/restore/run-restore-batch';
import { abortS3Restore, finishS3Restore, planS3Restore, runS3RestoreBatch, s3RestoreTarget } from '../engine/restore/s3-restore-steps';
import { selectKept } from '../engine/retention';
import {
  AbortRestoreInputSchema,
  AssetRefSchema,
  BackupIdSchema,
  BatchRefSchema,
  CommitInputSchema,
  AssetFilterSchema,
  PlanBackupInputSchema,
  PlanRestoreInputSchema,
  RestoreBatchRefSchema,
  RestoreIdSchema,
  type AbortRestoreInput,
  type AssetRef,
  type BackupIdInput,
  type BatchRef,
  type CommitInput,
  type AssetFilter,
  type PlanBackupInput,
  type PlanRestoreInput,
  type RestoreBatchRef,
  type RestoreIdInput,
} from '../contracts/activity-inputs';
import type { BackupPlanRef, RestorePlanRef, SnapshotSummary } from '../contracts/types';
import { checkRestoreTarget } from './allowed-paths';
import { withRestoreTarget } from './allowed-s3-targets';
import { resolveAsset } from './assets';
import { mapFailure } from './failure';
import type { MetricsSink } from './metrics-sink';
import { reportProgress } from './progress';
import { AssetBucketBook } from '../engine/limits/host-limits';

export interface ActivityDeps {
  plan: Plan;
  repo: Repository;
  pool: ChunkPool;
  metrics?: MetricsSink;
}

function summarise(m: SnapshotManifest): SnapshotSummary {
  return {
    id: m.id,
    time: m.time,
    asset: m.asset,
    host: m.host,
    strategy: m.strategy,
    ...(m.parent ? { parent: m.parent } : {}),
    tags: m.tags,
    files: m.stats.files,
    bytes: m.stats.bytes,
    bytesRead: m.stats.bytesRead,
    bytesNew: m.stats.bytesNew,
    bytesUploaded: m.stats.bytesUploaded,
    filesUnchanged: m.stats.filesUnchanged,
  };
}

/** Stop between units of work when the workflow cancelled this activity. */
function checkpoint(): void {
  const ctx = Context.current();
  if (ctx.cancellationSignal.aborted) throw new CancelledFailure('activity cancelled');
}

/** The last heartbeat of an earlier attempt: read back, so validated like any input. */
function resumeDetails(): { itemsDone: number; completed?: string } {
  const d = Context.current().info.heartbeatDetails as { itemsDone?: unknown; completed?: unknown } | undefined;
  const itemsDone = typeof d?.itemsDone === 'number' && Number.isSafeInteger(d.itemsDone) && d.itemsDone >= 0 ? d.itemsDone : 0;
  const completed = typeof d?.completed === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(d.completed) ? d.completed : undefined;
  return { itemsDone, ...(completed ? { completed } : {}) };
}

/** The activities of backup and restore: thin, validated, idempotent adapters over the engine. */
export function createActivities(deps: ActivityDeps) {
  const { plan, repo, pool, metrics } = deps;
  const assetLimits = new AssetBucketBook((name) => plan.assets.find((a) => a.name === name)?.limits);
  return {
    async planBackup(raw: PlanBackupInput): Promise<BackupPlanRef> {
      return mapFailure(async () => {
        const input = parseOrThrow(PlanBackupInputSchema, raw, 'backup input');
        const asset = resolveAsset(plan, input);
        const log = Context.current().log;
        log.info('planning backup', { asset: asset.name, source: asset.source, strategy: asset.strategy });
        const summary = await planBackup(repo, {
          backupId: input.backupId,
          snapshotId: input.snapshotId,
          asset: asset.name,
          source: asset.source,
          ...(asset.s3 ? { s3: asset.s3 } : {}),
          include: asset.include,
          exclude: asset.exclude,
          tags: asset.tags,
          strategy: asset.strategy,
          ...(asset.batch?.files ? { batchFiles: asset.batch.files } : {}),
          ...(asset.batch?.mib ? { batchBytes: asset.batch.mib * 1024 * 1024 } : {}),
        });
        if (summary.warningCount) log.warn(`backup of ${asset.name}: ${summary.warningCount} entries left out`, { warnings: summary.warnings });
        return summary;
      });
    },

    async backupBatch(raw: BatchRef): Promise<{ bytesRead: number; bytesUploaded: number }> {
      return mapFailure(async () => {
        const ref = parseOrThrow(BatchRefSchema, raw, 'batch reference');
        const ctx = Context.current();
        const resumeFrom = resumeDetails().itemsDone;
        if (resumeFrom) ctx.log.info('resuming backup batch', { ...ref, resumeFrom });
        const stats = await runBackupBatch(repo, {
          ...ref,
          resumeFrom,
          pool,
          checkpoint,
          assetLimits: (a) => assetLimits.get(a),
          onProgress: (p: BatchProgress) => reportProgress(p),
        });
        return { bytesRead: stats.bytesRead, bytesUploaded: stats.bytesUploaded };
      });
    },

    async commitBackup(raw: CommitInput): Promise<SnapshotSummary> {
      return mapFailure(async () => {
        const { backupId, snapshotId } = parseOrThrow(CommitInputSchema, raw, 'commit input');
        const m = await commitBackup(repo, backupId, { snapshotId });
        metrics?.backupCommitted({
          asset: m.asset,
          files: m.stats.files,
          bytes: m.stats.bytes,
          bytesRead: m.stats.bytesRead,
          bytesUploaded: m.stats.bytesUploaded,
          startedAt: m.time,
          at: Date.now(),
        });
        Context.current().log.info('snapshot committed', { snapshotId: m.id, asset: m.asset, bytesUploaded: m.stats.bytesUploaded });
        return summarise(m);
      });
    },

    async abandonBackup(raw: BackupIdInput): Promise<void> {
      const { backupId } = parseOrThrow(BackupIdSchema, raw, 'abandon input');
      await cleanupBackup(repo, backupId, 'abandoned');
    },

    async applyRetention(raw: AssetRef): Promise<{ kept: string[]; forgotten: string[] }> {
      return mapFailure(async () => {
        const { asset } = parseOrThrow(AssetRefSchema, raw, 'retention input');
        const policy = plan.assets.find((a) => a.name === asset)?.retention;
        if (!policy) return { kept: [], forgotten: [] };
        const { keep, forget } = selectKept(await repo.listSnapshots({ asset }), policy);
        if (isAppendOnly(repo.store)) {
          Context.current().log.info('retention left to prune: this worker is append-only', { asset, due: forget.length });
          return { kept: [...keep, ...forget].map((s) => s.id), forgotten: [] };
        }
        const done = await forgetSnapshots(
          repo,
          forget.map((s) => s.id),
        );
        Context.current().log.info('retention applied', { asset, kept: keep.length, forgotten: done.forgotten.length, locked: done.locked.length });
        return { kept: [...keep.map((s) => s.id), ...done.locked.map((l) => l.id)], forgotten: done.forgotten };
      });
    },

    async listSnapshots(raw: AssetFilter): Promise<{ snapshots: SnapshotSummary[]; invalid: string[] }> {
      return mapFailure(async () => {
        const { asset } = parseOrThrow(AssetFilterSchema, raw, 'list input');
        const invalid: string[] = [];
        const snaps = await repo.listSnapshots({ asset }, (id, err) => invalid.push(`${id}: ${err.message}`));
        return { snapshots: snaps.map(summarise), invalid };
      });
    },

    async planRestore(raw: PlanRestoreInput): Promise<RestorePlanRef> {
      return mapFailure(async () => {
        const input = parseOrThrow(PlanRestoreInputSchema, raw, 'restore input');
        // refused before anything is written: a restore removes its work objects when it finishes
        if (isAppendOnly(repo.store))
          throw new BadInputError('repository.appendOnly: restores delete their tmp/ work objects; run them on a worker whose credential may delete');
        const snapshot =
          input.snapshot === 'latest' || input.snapshot === undefined
            ? input.before
              ? { before: new Date(input.before) }
              : { latest: true as const }
            : { id: input.snapshot };
        const o = { restoreId: input.restoreId, asset: input.asset, snapshot, paths: input.paths };
        let summary;
        if (input.target.startsWith('s3://')) summary = await withRestoreTarget(plan, input.target, (target) => planS3Restore(repo, { ...o, target }));
        else {
          checkRestoreTarget(plan, input.target);
          summary = await planRestore(repo, { ...o, target: input.target });
        }
        if (summary.warnings?.length)
          Context.current().log.warn(`restore to ${summary.target}: metadata this worker cannot restore`, { warnings: summary.warnings });
        return summary;
      });
    },

    async restoreBatch(raw: RestoreBatchRef): Promise<RestoreProgress> {
      return mapFailure(async () => {
        const ref = parseOrThrow(RestoreBatchRefSchema, raw, 'restore batch reference');
        const o = {
          ...ref,
          resumeCompleted: resumeDetails().completed,
          assetLimits: (a: string) => assetLimits.get(a),
          checkpoint,
          onProgress: (p: RestoreProgress) => reportProgress(p),
        };
        const s3 = await s3RestoreTarget(repo, ref.restoreId);
        const r = await (s3 ? withRestoreTarget(plan, s3, (loc) => runS3RestoreBatch(repo, loc, o)) : runRestoreBatch(repo, { ...o, pool }));
        if (r.warnings?.length) Context.current().log.warn(`restore batch ${ref.batch}: some metadata not restored`, { warnings: r.warnings });
        return r;
      });
    },

    async finishRestore(raw: RestoreIdInput): Promise<{ target: string; files: number; bytes: number }> {
      return mapFailure(async () => {
        const { restoreId } = parseOrThrow(RestoreIdSchema, raw, 'finish input');
        const s3 = await s3RestoreTarget(repo, restoreId);
        const out = s3 ? await withRestoreTarget(plan, s3, (loc) => finishS3Restore(repo, loc, restoreId)) : await finishRestore(repo, restoreId);
        metrics?.restoreFinished({ files: out.files, bytes: out.bytes });
        Context.current().log.info('restore swapped into place', { ...out });
        if (out.warnings?.length) Context.current().log.warn(`restore to ${out.target}: some metadata not restored`, { warnings: out.warnings });
        return { target: out.target, files: out.files, bytes: out.bytes };
      });
    },

    async cleanupRestore(raw: RestoreIdInput): Promise<void> {
      return mapFailure(async () => {
        const { restoreId } = parseOrThrow(RestoreIdSchema, raw, 'cleanup input');
        await cleanupRestore(repo, restoreId);
      });
    },

    async abortRestore(raw: AbortRestoreInput): Promise<void> {
      const { restoreId, target } = parseOrThrow(AbortRestoreInputSchema, raw, 'abort input');
      // an append-only worker refuses restores before they write anything: nothing to undo
      if (isAppendOnly(repo.store)) return;
      // an S3 restore writes nothing to its target before its plan is stored: without one, only tmp/ is cleaned
      const s3 = await s3RestoreTarget(repo, restoreId);
      if (s3) await withRestoreTarget(plan, s3, (loc) => abortS3Restore(repo, loc, restoreId));
      else await abortRestore(repo, restoreId, undefined, target?.startsWith('/') ? target : undefined);
      Context.current().log.info('restore compensated: staging removed', { restoreId });
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
