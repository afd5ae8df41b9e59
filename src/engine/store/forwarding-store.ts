import type { BlobStore, ByteRange, ObjectInfo, PutOptions } from './blob-store';

/** A store that hands every call to `inner`: the base of wrappers that change one or two calls. */
export class ForwardingStore implements BlobStore {
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
    return this.inner.delete(key);
  }
}
