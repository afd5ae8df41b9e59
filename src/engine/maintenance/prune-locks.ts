import { mapLimit } from '../../common/map-limit';
import { parseIndexFile } from '../repo/chunk-index';
import { INDEX_PREFIX, packKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { CANARY_PREFIX } from '../store/lock-canary';
import type { ObjectLockStore } from '../store/object-lock';

/** An object prune wanted to delete but may not yet: its Object Lock (or that of an index object naming it) ends at `until`. */
export interface LockHold {
  key: string;
  until: string;
}

export interface LockedDeletions {
  /** packs held back (their marks stay: a later run deletes them) */
  packs: Map<string, LockHold>;
  /** index objects still locked: they stay, so the packs they name stay too (a pack is never indexed but missing) */
  indexes: Set<string>;
}

const lockedUntil = async (lock: ObjectLockStore, key: string, now: number): Promise<number | undefined> => {
  const until = (await lock.lockOf(key))?.until;
  return until !== undefined && until > now ? until : undefined;
};

/** Which of the packs due for deletion must wait for a lock, and which index objects cannot go yet. */
export async function heldByLocks(lock: ObjectLockStore, repo: Repository, due: string[], indexKeys: string[], now: number): Promise<LockedDeletions> {
  const out: LockedDeletions = { packs: new Map(), indexes: new Set() };
  const wanted = new Set(due);
  await mapLimit(indexKeys, 16, async (key) => {
    const until = await lockedUntil(lock, key, now);
    if (until === undefined) return;
    out.indexes.add(key);
    for (const p of parseIndexFile(await repo.store.get(key), key.slice(INDEX_PREFIX.length)).packs) {
      const held = out.packs.get(p.id);
      if (wanted.has(p.id) && (!held || Date.parse(held.until) < until)) out.packs.set(p.id, { key, until: new Date(until).toISOString() });
    }
  });
  await mapLimit(due, 16, async (pack) => {
    const until = await lockedUntil(lock, packKey(pack), now);
    const held = out.packs.get(pack);
    if (until !== undefined && (!held || Date.parse(held.until) < until)) out.packs.set(pack, { key: packKey(pack), until: new Date(until).toISOString() });
  });
  return out;
}

/**
 * Lengthen the locks of the packs the repository still needs to `now + retention` wherever less
 * than half the retention is left: a new snapshot deduplicated against an old pack is protected
 * only as long as the pack is, so each prune run (with delete rights, hence retention rights)
 * tops them up. Snapshots keep the lock they were written with (retention counts from the
 * backup), and index objects too: a lengthened index would hold every pack it names.
 */
export async function extendLiveLocks(lock: ObjectLockStore, packs: Iterable<string>, now: number): Promise<number> {
  const { retentionMs } = lock.settings;
  let extended = 0;
  await mapLimit([...packs], 16, async (pack) => {
    const held = await lock.lockOf(packKey(pack));
    if (!held || (held.until ?? 0) >= now + retentionMs / 2) return;
    await lock.extend(packKey(pack), now + retentionMs);
    extended++;
  });
  return extended;
}

/** Canaries and probes whose lock has ended (lock-canary.ts). */
export async function removeSpentCanaries(lock: ObjectLockStore, now: number): Promise<number> {
  let removed = 0;
  for (const o of await lock.list(CANARY_PREFIX)) {
    if ((await lockedUntil(lock, o.key, now)) !== undefined) continue;
    await lock.delete(o.key).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}
