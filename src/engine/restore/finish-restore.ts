import { findSignedJson } from '../repo/json-documents';
import fs from 'node:fs';
import path from 'node:path';
import { IntegrityError } from '../../common/errors';
import { readSignedJson, writeSignedJson } from '../repo/signed-doc';
import { restoreDoneKey, restorePlanKey, restoreTmpPrefix } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { z } from 'zod';
import { stagingFor } from './plan-restore';
import { applyFinishMetadata } from './apply-metadata';
import type { ExactMtimes } from '../fs/mtimes';
import { RestorePlanSchema } from './restore-plan';
import { loadFinishItems } from './restore-items';

export interface RestoreOutcome {
  snapshotId: string;
  target: string;
  files: number;
  bytes: number;
  /** metadata that could not be reproduced (only on the run that did the swap) */
  warnings?: string[];
}

/** The done marker of a restore: its outcome, so a retried finish returns it. */
export const DoneSchema = z.object({
  v: z.literal(1),
  at: z.string(),
  outcome: z.object({ snapshotId: z.string(), target: z.string(), files: z.number(), bytes: z.number() }),
});

const oldFor = (target: string, restoreId: string) => path.join(path.dirname(target), `.${path.basename(target)}.lepton-old-${restoreId}`);

/**
 * Create special files, hard links and symlinks, apply metadata (apply-metadata.ts; `exact`: the
 * python3 session the batches of this process used, closed here), then swap
 * the staging folder into the target: rename the old target aside, rename staging in, delete the old one.
 * Idempotent across crashes at any point of the swap.
 */
export async function finishRestore(repo: Repository, restoreId: string, exact?: ExactMtimes): Promise<RestoreOutcome> {
  if (!(await repo.store.head(restorePlanKey(restoreId)))) {
    const done = await findSignedJson(repo, restoreDoneKey(restoreId), DoneSchema);
    if (done) return done.outcome;
  }
  const plan = await readSignedJson(repo, restorePlanKey(restoreId), RestorePlanSchema);
  const outcome = { snapshotId: plan.snapshotId, target: plan.target, files: plan.files, bytes: plan.bytes };
  const old = oldFor(plan.target, restoreId);
  if (await repo.store.head(restoreDoneKey(restoreId))) {
    await fs.promises.rm(old, { recursive: true, force: true });
    return outcome;
  }
  const warnings: string[] = [];
  if (fs.existsSync(plan.staging)) {
    warnings.push(...(await applyFinishMetadata(plan, (b) => loadFinishItems(repo, restoreId, b), exact)));
    if (fs.existsSync(plan.target)) {
      if (fs.existsSync(old)) throw new IntegrityError(`restore ${restoreId}: both ${plan.target} and ${old} exist; resolve by hand`);
      await fs.promises.rename(plan.target, old);
    }
    await fs.promises.rename(plan.staging, plan.target);
  } else if (!fs.existsSync(plan.target)) {
    throw new IntegrityError(`restore ${restoreId}: staging folder ${plan.staging} vanished before the swap`);
  }
  await writeSignedJson(repo, restoreDoneKey(restoreId), { v: 1, at: new Date().toISOString(), outcome });
  await fs.promises.rm(old, { recursive: true, force: true });
  // keep only the done marker, so a retried finish stays a no-op
  for (const o of await repo.store.list(restoreTmpPrefix(restoreId))) if (o.key !== restoreDoneKey(restoreId)) await repo.store.delete(o.key);
  return warnings.length ? { ...outcome, warnings } : outcome;
}

/**
 * Compensation: remove the staging folder and leave the target as it was before. A crash
 * between the two renames puts the moved-aside target back; a swap that completed but whose
 * done marker was never written (the restore is failing anyway) is rolled back the same way,
 * so nothing `.lepton-old-*` is left behind. Never touches a finished restore.
 */
export async function abortRestore(repo: Repository, restoreId: string, staging?: string, target?: string): Promise<void> {
  const plan: { staging: string; target: string } | undefined = await findSignedJson(repo, restorePlanKey(restoreId), RestorePlanSchema);
  const tg = plan?.target ?? target;
  const st = plan?.staging ?? staging ?? (tg ? stagingFor(tg, restoreId) : undefined);
  if (!(await repo.store.head(restoreDoneKey(restoreId)))) {
    const stagingExisted = st !== undefined && fs.existsSync(st);
    if (st) await fs.promises.rm(st, { recursive: true, force: true });
    if (tg) {
      const old = oldFor(tg, restoreId);
      if (fs.existsSync(old)) {
        if (fs.existsSync(tg) && !stagingExisted && st) {
          // the swap completed: the target holds the new content, staging's name is free again
          await fs.promises.rename(tg, st);
          await fs.promises.rename(old, tg);
          await fs.promises.rm(st, { recursive: true, force: true });
        } else if (!fs.existsSync(tg)) await fs.promises.rename(old, tg);
      }
    }
  }
  await cleanupRestore(repo, restoreId);
}

/** Remove a restore's objects under tmp/, the done marker included (after the workflow has its outcome). */
export async function cleanupRestore(repo: Repository, restoreId: string): Promise<void> {
  const done = restoreDoneKey(restoreId);
  for (const o of await repo.store.list(restoreTmpPrefix(restoreId))) if (o.key !== done) await repo.store.delete(o.key);
  await repo.store.delete(done);
}
