import { BadInputError } from '../../common/errors';
import type { BlobStore } from './blob-store';
import { ForwardingStore } from './forwarding-store';
import { findInChain } from './store-chain';

/**
 * The store of a worker whose credential may write but not delete (repository.appendOnly).
 * Every delete is refused here, before any request: the backup path skips its deletions in this
 * mode (work lists stay for prune, which runs elsewhere with delete rights), so a delete reaching
 * this wrapper is a path that was missed, and it fails loudly rather than on a 403 from the store.
 */
export class AppendOnlyStore extends ForwardingStore {
  override delete(key: string): Promise<void> {
    return Promise.reject(
      new BadInputError(`${this.url} is append-only (repository.appendOnly): refusing to delete ${key}; prune, with delete rights, removes it`),
    );
  }
}

/** True when the store (or one it wraps) refuses deletes. */
export const isAppendOnly = (store: BlobStore): boolean => findInChain(store, (s): s is AppendOnlyStore => s instanceof AppendOnlyStore) !== undefined;
