import { randomBytes } from 'node:crypto';
import { BadInputError, IntegrityError } from '../../common/errors';
import type { ObjectLockStore } from './object-lock';

/** Canary objects (not repository data: prune removes them once their lock has passed). */
export const CANARY_PREFIX = 'immutability/';
/** Long enough that clock skew between worker and store cannot make the canary already free. */
export const CANARY_RETENTION_MS = 60 * 60_000;

export type Enforcement = NonNullable<ObjectLockStore['enforcement']>;

/**
 * Does the store really enforce Object Lock? Some S3-compatible servers accept a retention and
 * still delete the version. Writes a canary with a retention, checks the store recorded it, then
 * tries to delete that very version: a store that deletes it gives no protection, and the open
 * fails (a repository that says "immutable" but is not is worse than one that says nothing; the
 * plan can drop `immutability` to run without). A refused delete proves the lock only if this
 * credential may delete at all, so an unlocked probe is deleted the same way: refused too, the
 * credential cannot delete (append-only), and the lock is left for a run with delete rights
 * (prune) to verify.
 */
export async function checkLockEnforcement(store: ObjectLockStore, o: { appendOnly: boolean; section?: string }): Promise<Enforcement> {
  const section = o.section ?? 'repository';
  const field = `${section}.immutability`;
  if (!(await store.bucketLockEnabled())) {
    throw new BadInputError(`${field}: the bucket of ${store.url} has no Object Lock configuration (create the bucket with Object Lock enabled)`);
  }
  const stamp = `${new Date(store.now()).toISOString().replace(/[:.]/g, '')}-${randomBytes(4).toString('hex')}`;
  const canary = `${CANARY_PREFIX}canary-${stamp}`;
  const lock = { mode: store.settings.mode, until: new Date(store.now() + CANARY_RETENTION_MS) };
  await store.inner.put(canary, Buffer.from('lepton-dr object lock canary\n'), { lock });
  const held = await store.lockOf(canary);
  if (!held?.versionId) throw new IntegrityError(`${field}: ${store.url} gave the canary ${canary} no version id: versioning is off, so nothing is locked`);
  if (held.until === undefined) {
    throw new IntegrityError(
      `${field}: ${store.url} accepted a retention on ${canary} but reports none: refusing to claim a protection the store does not give`,
    );
  }
  if (await store.deleteVersion(canary, held.versionId)) {
    throw new IntegrityError(
      `${field}: ${store.url} accepted a retention on ${canary} until ${lock.until.toISOString()} and still let the locked version be deleted: it does not enforce Object Lock; refusing to claim a protection it does not give (remove repository.immutability to run without)`,
    );
  }
  const probe = `${CANARY_PREFIX}probe-${stamp}`;
  await store.inner.put(probe, Buffer.from('lepton-dr delete probe\n'));
  const version = (await store.lockOf(probe))?.versionId;
  if (version && (await store.deleteVersion(probe, version))) return { status: 'enforced' };
  const reason = `this credential cannot delete an unlocked object either, so the refused delete of the canary does not prove the lock; a run with delete rights (prune) checks it`;
  if (!o.appendOnly) throw new BadInputError(`${section}.appendOnly: ${reason}; set ${section}.appendOnly: true for a credential without delete rights`);
  return { status: 'unverified', reason };
}
