import type { BlobStore, ByteRange, ObjectInfo, PutOptions } from './blob-store';

/** A store that hands every call to `inner`: the base of wrappers that change one or two calls. */
export class ForwardingStore implements BlobStore {
  constructor(readonly inner: BlobStore) {}
  get url(): string {
    return this.inner.url;
  }
  /** Every forwarded call runs through here: a wrapper that holds each request (a slot) overrides this one. */
  protected forward<T>(call: () => Promise<T>): Promise<T> {
    return call();
  }
  put(key: string, body: Buffer, opts?: PutOptions): Promise<void> {
    return this.forward(() => this.inner.put(key, body, opts));
  }
  get(key: string, range?: ByteRange): Promise<Buffer> {
    return this.forward(() => this.inner.get(key, range));
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.forward(() => this.inner.head(key));
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    return this.forward(() => this.inner.list(prefix));
  }
  delete(key: string): Promise<void> {
    return this.forward(() => this.inner.delete(key));
  }
}
