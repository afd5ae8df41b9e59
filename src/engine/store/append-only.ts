import { BadInputError } from '../../common/errors';
import type { BlobStore, ByteRange, ObjectInfo, PutOptions } from './blob-store';
import { findInChain } from './store-chain';

/**
 * The store of a worker whose credential may write but not delete (repository.appendOnly).
 * Every delete is refused here, before any request: the backup path skips its deletions in this
 * mode (work lists stay for prune, which runs elsewhere with delete rights), so a delete reaching
 * this wrapper is a path that was missed, and it fails loudly rather than on a 403 from the store.
 */
export class AppendOnlyStore implements BlobStore {
  constructor(readonly inner: BlobStore) {}
  get url(): string {
    return this.inner.url;
  }
  put(key: string, body: Buffer, opts?: PutOptions): Promise<void> {
    return this.inner.put(key, body, opts);
  }
  get(key: string, range?: ByteRange): Promise<Buffer> {
    return this.inner.get(key, range);
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(key);
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    return this.inner.list(prefix);
  }
  delete(key: string): Promise<void> {
    return Promise.reject(
      new BadInputError(`${this.url} is append-only (repository.appendOnly): refusing to delete ${key}; prune, with delete rights, removes it`),
    );
  }
}

/** True when the store (or one it wraps) refuses deletes. */
export const isAppendOnly = (store: BlobStore): boolean => findInChain(store, (s): s is AppendOnlyStore => s instanceof AppendOnlyStore) !== undefined;
