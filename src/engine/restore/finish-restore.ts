import fs from 'node:fs';
import path from 'node:path';
import { IntegrityError } from '../../common/errors';
import { readJson, writeJson } from '../backup/work-plan';
import { restoreTmpPrefix } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { z } from 'zod';
import { stagingFor } from './plan-restore';
import { applyFinishMetadata } from './apply-metadata';
import { restoreDoneKey, restorePlanKey, RestorePlanSchema } from './restore-plan';
import { loadRestoreItems } from './restore-items';

export interface RestoreOutcome {
  snapshotId: string;
  target: string;
  files: number;
  bytes: number;
  /** metadata that could not be reproduced (only on the run that did the swap) */
  warnings?: string[];
}

const DoneSchema = z.object({ v: z.literal(1), at: z.string(), outcome: z.object({ snapshotId: z.string(), target: z.string(), files: z.number(), bytes: z.number() }) });

const oldFor = (target: string, restoreId: string) => path.join(path.dirname(target), `.${path.basename(target)}.lepton-old-${restoreId}`);

/**
 * Create special files, hard links and symlinks, apply metadata (apply-metadata.ts), then swap
 * the staging folder into the target: rename the old target aside, rename staging in, delete the old one.
 * Idempotent across crashes at any point of the swap.
 */
export async function finishRestore(repo: Repository, restoreId: string): Promise<RestoreOutcome> {
  if (!(await repo.store.head(restorePlanKey(restoreId))) && (await repo.store.head(restoreDoneKey(restoreId)))) {
    const done = await readJson(repo.store, restoreDoneKey(restoreId), DoneSchema);
    return done.outcome;
  }
  const plan = await readJson(repo.store, restorePlanKey(restoreId), RestorePlanSchema);
  const outcome = { snapshotId: plan.snapshotId, target: plan.target, files: plan.files, bytes: plan.bytes };
  const old = oldFor(plan.target, restoreId);
  if (await repo.store.head(restoreDoneKey(restoreId))) {
    await fs.promises.rm(old, { recursive: true, force: true });
    return outcome;
  }
  const warnings: string[] = [];
  if (fs.existsSync(plan.staging)) {
    warnings.push(...(await applyFinishMetadata(plan, (b) => loadRestoreItems(repo, restoreId, b))));
    if (fs.existsSync(plan.target)) {
      if (fs.existsSync(old)) throw new IntegrityError(`restore ${restoreId}: both ${plan.target} and ${old} exist; resolve by hand`);
      await fs.promises.rename(plan.target, old);
    }
    await fs.promises.rename(plan.staging, plan.target);
  } else if (!fs.existsSync(plan.target)) {
    throw new IntegrityError(`restore ${restoreId}: staging folder ${plan.staging} vanished before the swap`);
  }
  await writeJson(repo.store, restoreDoneKey(restoreId), { v: 1, at: new Date().toISOString(), outcome });
  await fs.promises.rm(old, { recursive: true, force: true });
  // keep only the done marker, so a retried finish stays a no-op
  for (const o of await repo.store.list(restoreTmpPrefix(restoreId))) if (o.key !== restoreDoneKey(restoreId)) await repo.store.delete(o.key);
  return warnings.length ? { ...outcome, warnings } : outcome;
}

/** Compensation: remove the staging folder; put a target moved aside back. Never touches a finished restore. */
export async function abortRestore(repo: Repository, restoreId: string, staging?: string, target?: string): Promise<void> {
  let plan: { staging: string; target: string } | undefined;
  if (await repo.store.head(restorePlanKey(restoreId))) plan = await readJson(repo.store, restorePlanKey(restoreId), RestorePlanSchema);
  const tg = plan?.target ?? target;
  const st = plan?.staging ?? staging ?? (tg ? stagingFor(tg, restoreId) : undefined);
  if (!(await repo.store.head(restoreDoneKey(restoreId)))) {
    if (st) await fs.promises.rm(st, { recursive: true, force: true });
    if (tg) {
      const old = oldFor(tg, restoreId);
      if (fs.existsSync(old) && !fs.existsSync(tg)) await fs.promises.rename(old, tg);
    }
  }
  await cleanupRestore(repo, restoreId);
}

export async function cleanupRestore(repo: Repository, restoreId: string): Promise<void> {
  for (const o of await repo.store.list(restoreTmpPrefix(restoreId))) await repo.store.delete(o.key);
}
