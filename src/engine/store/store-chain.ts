import type { BlobStore } from './blob-store';

/**
 * The first store of a wrapper chain (CountingStore, HookStore, AppendOnlyStore, ObjectLockStore
 * each hold the next as `inner`) that passes `is`: capabilities are asked of the chain, so a
 * wrapper added by a test or benchmark does not hide them.
 */
export function findInChain<T extends BlobStore>(store: BlobStore, is: (s: BlobStore) => s is T): T | undefined {
  const seen = new Set<BlobStore>();
  for (let s: BlobStore | undefined = store; s && !seen.has(s); s = (s as { inner?: BlobStore }).inner) {
    if (is(s)) return s;
    seen.add(s);
  }
  return undefined;
}
