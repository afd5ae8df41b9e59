import type { BlobStore, ByteRange, PutOptions } from '../store/blob-store';
import { ForwardingStore } from '../store/forwarding-store';
import type { Semaphore } from './semaphore';
import { takeAll, type TokenBucket } from './token-bucket';

/** What holds a store back: bandwidth buckets per direction and a cap on requests in flight. */
export interface StoreLimits {
  upload: readonly TokenBucket[];
  download: readonly TokenBucket[];
  requests?: Semaphore;
}

/**
 * A store whose bytes pass token buckets before they cross: a put waits for its body's bytes,
 * a ranged get for its range; a get of a whole object (size unknown until it arrives: index
 * files, small documents) is charged when it arrives, so the next request pays for it. Every
 * call holds a request slot while it runs. The limit works per request: an admitted pack goes
 * at line speed, so the average holds over any window longer than one request.
 */
export class LimitedStore extends ForwardingStore {
  constructor(
    inner: BlobStore,
    readonly limits: StoreLimits,
  ) {
    super(inner);
  }

  /** The same store under more buckets (an asset's within the repository's): bytes pass all of them, the request cap stays shared. */
  narrowed(extra: { upload?: TokenBucket; download?: TokenBucket }): LimitedStore {
    const add = (list: readonly TokenBucket[], b?: TokenBucket) => (b ? [...list, b] : list);
    return new LimitedStore(this.inner, {
      upload: add(this.limits.upload, extra.upload),
      download: add(this.limits.download, extra.download),
      requests: this.limits.requests,
    });
  }

  protected override forward<T>(call: () => Promise<T>): Promise<T> {
    return this.limits.requests ? this.limits.requests.run(call) : call();
  }

  override async put(key: string, body: Buffer, opts?: PutOptions): Promise<void> {
    await takeAll(this.limits.upload, body.length);
    return super.put(key, body, opts);
  }

  override async get(key: string, range?: ByteRange): Promise<Buffer> {
    if (range) await takeAll(this.limits.download, range.length);
    const data = await super.get(key, range);
    if (!range) await takeAll(this.limits.download, data.length);
    return data;
  }
}
