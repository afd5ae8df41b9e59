import { NotFoundError } from '../../common/errors';
import { BackupPlanSchema } from '../backup/work-plan';
import { abandonedKey, BACKUP_TMP_PREFIX, planKey, snapshotKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { unverifiedBody } from '../repo/signed-doc';

/**
 * Delete the work lists of backups that are over: committed (their snapshot exists) or given
 * up (an append-only worker leaves an `abandoned.json` marker instead of deleting). A worker
 * that may delete removes its own; these are an append-only worker's, or a crash's leftovers.
 * Either way nothing in them is needed any more: a committed backup's snapshot names what its
 * work list named. Returns the number of work lists removed.
 */
export async function sweepFinishedWorkLists(repo: Repository): Promise<number> {
  const byBackup = new Map<string, string[]>();
  for (const o of await repo.store.list(BACKUP_TMP_PREFIX)) {
    const id = o.key.slice(BACKUP_TMP_PREFIX.length).split('/')[0];
    byBackup.set(id, [...(byBackup.get(id) ?? []), o.key]);
  }
  let swept = 0;
  for (const [id, keys] of byBackup) {
    if (!(await isOver(repo, id, keys))) continue;
    const plan = planKey(id);
    for (const k of keys) if (k !== plan) await repo.store.delete(k);
    await repo.store.delete(plan);
    swept++;
  }
  return swept;
}

async function isOver(repo: Repository, backupId: string, keys: string[]): Promise<boolean> {
  if (keys.includes(abandonedKey(backupId))) return true;
  if (!keys.includes(planKey(backupId))) return false;
  let raw: Buffer;
  try {
    raw = await repo.store.get(planKey(backupId));
  } catch (e) {
    if (e instanceof NotFoundError) return false;
    throw e;
  }
  let body: unknown;
  try {
    body = unverifiedBody(raw);
  } catch {
    return false;
  }
  const plan = BackupPlanSchema.safeParse(body);
  // only a signed snapshot of the plan's id proves the commit; the plan itself is not trusted for more
  return plan.success && (await repo.store.head(snapshotKey(plan.data.snapshotId))) !== undefined;
}
