import { BadInputError, IntegrityError } from '../../common/errors';
import { batchView, type AssetLimitsOf } from '../limits/host-limits';
import { mapLimit } from '../../common/map-limit';
import { findSignedJson } from '../repo/json-documents';
import { restoreBatchKey, restoreDoneKey, restorePlanKey, restoreTmpPrefix } from '../repo/layout';
import type { Repository, SnapshotSelector } from '../repo/repository';
import { readSignedJson, writeSignedJson } from '../repo/signed-doc';
import type { TreeEntry } from '../repo/tree';
import { listPrefix } from '../source/s3-source';
import type { S3Location } from '../source/s3-location';
import { cleanupRestore, DoneSchema, type RestoreOutcome } from './finish-restore';
import { resolveRestoreSnapshot, type RestorePlanSummary } from './plan-restore';
import { RestoreBatchWriter } from './restore-batches';
import { walkRestoreTree, type RestoreSink } from './restore-walk';
import { loadRestoreItems } from './restore-items';
import { RestoreBatchParser, RestorePlanSchema, type RestorePlan } from './restore-plan';
import { stageS3File } from './s3-stage';
import { decodeLedger, encodeLedger, type RestoreProgress } from './run-restore-batch';
import { dropS3Aside, publishS3, rollbackS3Publish, s3StagingFor } from './s3-publish';

/**
 * A restore onto an S3 prefix, in the steps of the restore workflow (as the folder restore's
 * plan-restore.ts, run-restore-batch.ts and finish-restore.ts): plan (work lists in the
 * repository), stage batches below a prefix next to the target, finish (check the staged
 * objects, publish, record done), abort (roll the target back). Every chunk is checked against
 * its id before its bytes are sent, and every upload carries its Content-MD5.
 */

const FILES_IN_FLIGHT = 8;

export interface PlanS3RestoreOptions {
  restoreId: string;
  asset?: string;
  snapshot: SnapshotSelector;
  target: S3Location;
  paths?: string[];
  batchBytes?: number;
  batchFiles?: number;
}

/** What an object store cannot hold: the warnings of a restore onto a prefix. */
function s3Warnings(others: RestorePlan['others']): string[] {
  const special = others.filter((e) => e.type !== 'dir');
  return special.length ? [`${special.length} symlinks or special files are not restored to an object store (first: ${special[0].path})`] : [];
}

/** Where an S3 restore's plan puts the entries it keeps: every file into batch work lists (an object store has no hard links), the rest into the plan. */
class S3Plan implements RestoreSink {
  readonly others: TreeEntry[] = [];
  files = 0;

  constructor(readonly batches: RestoreBatchWriter) {}

  async add(e: TreeEntry): Promise<void> {
    if (e.type !== 'file') {
      this.others.push(e);
      return;
    }
    this.files++;
    await this.batches.add(e);
  }
}

/** Resolve the snapshot, check every path and write the work lists. Idempotent. */
export async function planS3Restore(repo: Repository, o: PlanS3RestoreOptions): Promise<RestorePlanSummary> {
  const loc = o.target;
  if (!loc.prefix) throw new BadInputError(`target: refusing to restore over the whole bucket ${loc.bucket}; give s3://${loc.bucket}/prefix`);
  const existing = await findSignedJson(repo, restorePlanKey(o.restoreId), RestorePlanSchema);
  const m = existing ? await repo.loadSnapshot(existing.snapshotId) : await resolveRestoreSnapshot(repo, o.asset, o.snapshot);
  let plan: RestorePlan | undefined = existing;
  if (!plan) {
    const staging = s3StagingFor(loc.prefix, o.restoreId);
    let sink: S3Plan;
    try {
      sink = await walkRestoreTree(repo, m, o.paths, () => new S3Plan(new RestoreBatchWriter(repo, o.restoreId, staging, m, o)));
      await sink.batches.flush();
    } catch (e) {
      // refused (an unsafe path, nothing matches): no work list of this restore stays behind
      if (e instanceof BadInputError) await cleanupRestore(repo, o.restoreId);
      throw e;
    }
    plan = {
      v: 1,
      restoreId: o.restoreId,
      snapshotId: m.id,
      target: loc.url,
      staging,
      others: sink.others,
      batches: sink.batches.batches,
      files: sink.files,
      bytes: sink.batches.bytes,
    };
    await writeSignedJson(repo, restorePlanKey(o.restoreId), plan);
  }
  const warnings = s3Warnings(plan.others);
  return {
    restoreId: o.restoreId,
    snapshotId: m.id,
    snapshotTime: m.time,
    asset: m.asset,
    target: plan.target,
    staging: plan.staging,
    batches: plan.batches,
    files: plan.files,
    bytes: plan.bytes,
    ...(warnings.length ? { warnings } : {}),
  };
}

export interface RunS3RestoreBatchOptions {
  restoreId: string;
  batch: number;
  resumeCompleted?: string;
  /** the buckets of the snapshot's asset: reads and uploads pass them as well as the repository's */
  assetLimits?: AssetLimitsOf;
  onProgress?: (p: RestoreProgress) => void;
  checkpoint?: () => void;
}

/** Stage one batch of files below the staging prefix. Resumable by file (RestoreProgress.completed). */
export async function runS3RestoreBatch(repo: Repository, loc: S3Location, o: RunS3RestoreBatchOptions): Promise<RestoreProgress> {
  const batch = await readSignedJson(repo, restoreBatchKey(o.restoreId, o.batch), RestoreBatchParser);
  await repo.loadIndex(true);
  const items = batch.items;
  const completed = decodeLedger(o.resumeCompleted, items.length);
  const todo = items.map((_, i) => i).filter((i) => !completed[i]);
  const p: RestoreProgress = {
    completed: '',
    filesDone: items.length - todo.length,
    files: items.length,
    bytesDone: 0,
    bytesTotal: items.reduce((s, i) => s + i.size, 0),
  };
  const report = () => o.onProgress?.({ ...p, completed: encodeLedger(completed) });
  const view = batchView(repo.store, batch.asset, o.assetLimits);
  await mapLimit(todo, FILES_IN_FLIGHT, async (i) => {
    o.checkpoint?.();
    let sent = 0;
    await stageS3File(repo, view, loc, batch.staging + items[i].path, items[i], (n) => {
      sent += n;
      p.bytesDone += n;
      report();
    });
    completed[i] = true;
    p.filesDone++;
    p.bytesDone += items[i].size - sent;
    if (p.filesDone % 50 === 0) report();
  });
  p.completed = encodeLedger(completed);
  o.onProgress?.({ ...p });
  return p;
}

/**
 * Check that every file is staged with its size, publish onto the target (s3-publish.ts), record
 * the restore done, drop the aside and staging objects. Idempotent across crashes at any point.
 */
export async function finishS3Restore(repo: Repository, loc: S3Location, restoreId: string): Promise<RestoreOutcome> {
  const done = await findSignedJson(repo, restoreDoneKey(restoreId), DoneSchema);
  if (done) {
    await dropS3Aside(loc, restoreId);
    return done.outcome;
  }
  const plan = await readSignedJson(repo, restorePlanKey(restoreId), RestorePlanSchema);
  if (plan.target !== loc.url) throw new BadInputError(`restore ${restoreId} targets ${plan.target}, not ${loc.url}`);
  const files = (await Promise.all(Array.from({ length: plan.batches }, (_, b) => loadRestoreItems(repo, restoreId, b)))).flat();
  const staged = new Map((await listPrefix(loc, plan.staging)).map((s) => [s.Key as string, s.Size ?? 0]));
  for (const f of files) {
    if (staged.get(plan.staging + f.path) !== f.size)
      throw new IntegrityError(`restore ${restoreId}: ${plan.staging}${f.path} is missing or has the wrong size after staging`);
  }
  await publishS3(repo, restoreId, loc, plan.staging, files);
  const outcome = { snapshotId: plan.snapshotId, target: plan.target, files: plan.files, bytes: plan.bytes };
  await writeSignedJson(repo, restoreDoneKey(restoreId), { v: 1, at: new Date().toISOString(), outcome });
  await dropS3Aside(loc, restoreId);
  // keep only the done marker, so a retried finish stays a no-op
  for (const o of await repo.store.list(restoreTmpPrefix(restoreId))) if (o.key !== restoreDoneKey(restoreId)) await repo.store.delete(o.key);
  const warnings = s3Warnings(plan.others);
  return warnings.length ? { ...outcome, warnings } : outcome;
}

/** Compensation: the target prefix as it was before, staging and aside objects removed. Never touches a finished restore. */
export async function abortS3Restore(repo: Repository, loc: S3Location, restoreId: string): Promise<void> {
  if (!(await repo.store.head(restoreDoneKey(restoreId)))) await rollbackS3Publish(repo, restoreId, loc);
  await cleanupRestore(repo, restoreId);
}

/** The S3 target url of a restore whose plan is in the repository (undefined: a folder restore, or none planned). */
export async function s3RestoreTarget(repo: Repository, restoreId: string): Promise<string | undefined> {
  const plan = await findSignedJson(repo, restorePlanKey(restoreId), RestorePlanSchema);
  return plan?.target.startsWith('s3://') ? plan.target : undefined;
}
