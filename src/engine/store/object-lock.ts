import { IntegrityError } from '../../common/errors';
import { CONFIG_KEY, DATA_PREFIX, INDEX_PREFIX, KEYS_PREFIX, SNAPSHOT_PREFIX } from '../repo/layout';
import type { BlobStore, ObjectRetention, PutOptions } from './blob-store';
import { ForwardingStore } from './forwarding-store';
import type { S3Store } from './s3-store';
import { findInChain } from './store-chain';

export interface ObjectLockSettings {
  retentionMs: number;
  mode: ObjectRetention['mode'];
  /** the clock retain-until dates count from (tests drive it) */
  clock?: () => number;
}

/**
 * What a restore needs and an attacker must not be able to delete: packs, indexes, snapshots,
 * the repository config and the key objects. Not locked: tmp/ (work lists a retried backup
 * rewrites and prune sweeps), prune/marks (advisory, rewritten by every prune), reports and
 * prediction state (rewritten in place), and the canaries (they carry their own short lock).
 */
export const isLockedKey = (key: string): boolean =>
  key === CONFIG_KEY || [DATA_PREFIX, INDEX_PREFIX, SNAPSHOT_PREFIX, KEYS_PREFIX].some((p) => key.startsWith(p));

/** The SDK, loaded by the first lock request: a process that only asks whether a store is locked (an FsStore backup) never pays for it. */
const sdk = () => import('@aws-sdk/client-s3');

const status = (e: unknown): number | undefined => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
export const isDenied = (e: unknown): boolean => status(e) === 403 || (e as { name?: string }).name === 'AccessDenied';

/**
 * An S3 store on a bucket with Object Lock: puts of the keys above carry a retention of
 * `retentionMs` from now; deletes remove every version of the key (on a versioned bucket a plain
 * DELETE only adds a delete marker and frees nothing), and a version still locked makes the
 * delete fail. `enforcement` holds what the canary check found (lock-canary.ts).
 */
export class ObjectLockStore extends ForwardingStore {
  enforcement?: { status: 'enforced' } | { status: 'unverified'; reason: string };
  constructor(
    override readonly inner: S3Store,
    readonly settings: ObjectLockSettings,
  ) {
    super(inner);
  }
  now(): number {
    return (this.settings.clock ?? Date.now)();
  }
  retention(from = this.now()): ObjectRetention {
    return { mode: this.settings.mode, until: new Date(from + this.settings.retentionMs) };
  }
  override put(key: string, body: Buffer, opts?: PutOptions): Promise<void> {
    return this.inner.put(key, body, isLockedKey(key) ? { ...opts, lock: this.retention() } : opts);
  }

  /** Object Lock is on for the bucket (GetObjectLockConfiguration). */
  async bucketLockEnabled(): Promise<boolean> {
    const { GetObjectLockConfigurationCommand } = await sdk();
    try {
      const r = await this.inner.client.send(new GetObjectLockConfigurationCommand({ Bucket: this.inner.bucket }));
      return r.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
    } catch (e) {
      if (status(e) === 404 || /ObjectLockConfigurationNotFound/.test((e as Error).name)) return false;
      throw e;
    }
  }

  /** The current version's id and retain-until (ms), or undefined when the key is missing. */
  async lockOf(key: string): Promise<{ versionId?: string; until?: number } | undefined> {
    const { HeadObjectCommand } = await sdk();
    try {
      const r = await this.inner.client.send(new HeadObjectCommand({ Bucket: this.inner.bucket, Key: this.inner.objectKey(key) }));
      return { versionId: r.VersionId, until: r.ObjectLockRetainUntilDate?.getTime() };
    } catch (e) {
      if (status(e) === 404) return undefined;
      throw e;
    }
  }

  /** Moves the retain-until of the current version later (a lock can only be lengthened). */
  async extend(key: string, until: number): Promise<void> {
    const { PutObjectRetentionCommand } = await sdk();
    await this.inner.client.send(
      new PutObjectRetentionCommand({
        Bucket: this.inner.bucket,
        Key: this.inner.objectKey(key),
        Retention: { Mode: this.settings.mode, RetainUntilDate: new Date(until) },
      }),
    );
  }

  /** Deletes one version; false when the store refused (locked, or no delete right). */
  async deleteVersion(key: string, versionId: string): Promise<boolean> {
    const { DeleteObjectCommand } = await sdk();
    try {
      await this.inner.client.send(new DeleteObjectCommand({ Bucket: this.inner.bucket, Key: this.inner.objectKey(key), VersionId: versionId }));
      return true;
    } catch (e) {
      if (isDenied(e)) return false;
      throw e;
    }
  }

  override async delete(key: string): Promise<void> {
    const { ListObjectVersionsCommand } = await sdk();
    const Key = this.inner.objectKey(key);
    const versions: string[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const r = await this.inner.client.send(
        new ListObjectVersionsCommand({ Bucket: this.inner.bucket, Prefix: Key, KeyMarker: keyMarker, VersionIdMarker: versionMarker }),
      );
      for (const v of [...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])]) if (v.Key === Key && v.VersionId) versions.push(v.VersionId);
      keyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
      versionMarker = r.IsTruncated ? r.NextVersionIdMarker : undefined;
    } while (keyMarker);
    for (const v of versions) {
      if (!(await this.deleteVersion(key, v)))
        throw new IntegrityError(`${this.url}: the store refused to delete ${key} (version ${v}): it is locked or this credential may not delete`);
    }
  }
}

/** The lock store in a wrapper chain, if the repository is immutable. */
export const objectLockOf = (store: BlobStore): ObjectLockStore | undefined => findInChain(store, (s): s is ObjectLockStore => s instanceof ObjectLockStore);
