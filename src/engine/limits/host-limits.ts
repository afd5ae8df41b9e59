import type { AssetLimits, RepositoryLimits } from '../../config/limits-schema';
import type { BlobStore } from '../store/blob-store';
import { LimitedStore } from './limited-store';
import { Semaphore } from './semaphore';
import { realClock, TokenBucket, type Clock } from './token-bucket';

export interface AssetBuckets {
  upload?: TokenBucket;
  download?: TokenBucket;
}

/** An asset's buckets by its name (AssetBucketBook.get in a worker). */
export type AssetLimitsOf = (asset: string) => AssetBuckets;

/**
 * The repository's store under the plan's limits, or the store itself when there are none. The
 * buckets live in this one object: every batch, restore and copy the process runs shares them.
 */
export function limitStore(store: BlobStore, limits: RepositoryLimits | undefined, clock: Clock = realClock): BlobStore {
  if (!limits || (limits.uploadBytesPerSec === undefined && limits.downloadBytesPerSec === undefined && limits.maxRequests === undefined)) return store;
  return new LimitedStore(store, {
    upload: limits.uploadBytesPerSec ? [new TokenBucket(limits.uploadBytesPerSec, undefined, clock)] : [],
    download: limits.downloadBytesPerSec ? [new TokenBucket(limits.downloadBytesPerSec, undefined, clock)] : [],
    requests: limits.maxRequests ? new Semaphore(limits.maxRequests) : undefined,
  });
}

/** One pair of buckets per asset and process, made on first use: concurrent batches of an asset share them. */
export class AssetBucketBook {
  private readonly made = new Map<string, AssetBuckets>();

  constructor(
    private readonly limitsOf: (asset: string) => AssetLimits | undefined,
    private readonly clock: Clock = realClock,
  ) {}

  get(asset: string): AssetBuckets {
    let b = this.made.get(asset);
    if (!b) {
      const l = this.limitsOf(asset);
      b = {
        upload: l?.uploadBytesPerSec ? new TokenBucket(l.uploadBytesPerSec, undefined, this.clock) : undefined,
        download: l?.downloadBytesPerSec ? new TokenBucket(l.downloadBytesPerSec, undefined, this.clock) : undefined,
      };
      this.made.set(asset, b);
    }
    return b;
  }
}

/** What a batch of an asset moves its bytes under: a store, and the buckets for bytes that go elsewhere than that store. */
export interface BatchView {
  /** the repository's store under the repository's limits narrowed by the asset's */
  store: BlobStore;
  /** what reads of an s3:// backup source wait for */
  download: TokenBucket[];
  /** what uploads to an s3:// restore target wait for */
  upload: TokenBucket[];
}

/**
 * What a backup or restore batch of an asset goes through: the repository's limits narrowed by
 * the asset's. Reads of an s3:// source pass the same download buckets, uploads to an s3://
 * restore target the same upload buckets, so the host's limit holds whichever way bytes go.
 */
export function batchView(store: BlobStore, asset?: string, limitsOf?: AssetLimitsOf): BatchView {
  const base = store instanceof LimitedStore ? store : new LimitedStore(store, { upload: [], download: [] });
  const view = base.narrowed((asset && limitsOf?.(asset)) || {});
  const limited = view.limits.upload.length > 0 || view.limits.download.length > 0 || view.limits.requests !== undefined;
  return { store: limited ? view : store, download: [...view.limits.download], upload: [...view.limits.upload] };
}
