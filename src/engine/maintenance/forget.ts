import { snapshotKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { objectLockOf } from '../store/object-lock';

export interface ForgetOutcome {
  forgotten: string[];
  /** snapshots retention let go but whose Object Lock has not ended: they stay until a later run */
  locked: { id: string; until: string }[];
}

/** Delete the snapshots retention chose, except those still locked (immutability): a locked object is never deleted early. */
export async function forgetSnapshots(repo: Repository, ids: string[], now = Date.now()): Promise<ForgetOutcome> {
  const lock = objectLockOf(repo.store);
  const out: ForgetOutcome = { forgotten: [], locked: [] };
  for (const id of ids) {
    const until = lock && (await lock.lockOf(snapshotKey(id)))?.until;
    if (until !== undefined && until > now) {
      out.locked.push({ id, until: new Date(until).toISOString() });
      continue;
    }
    await repo.store.delete(snapshotKey(id));
    out.forgotten.push(id);
  }
  return out;
}
