import type { BlobStore, ByteRange, ObjectInfo, PutOptions } from '../src/engine/store/blob-store';
import type { Rng } from './rng';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store whose reads and lists take a seeded 0-150 ms (lists 0-400 ms) longer: widens race windows. */
export class SlowStore implements BlobStore {
  constructor(
    private readonly inner: BlobStore,
    private readonly rng: Rng,
  ) {}
  get url(): string {
    return this.inner.url;
  }
  put(key: string, body: Buffer, opts?: PutOptions): Promise<void> {
    return this.inner.put(key, body, opts);
  }
  async get(key: string, range?: ByteRange): Promise<Buffer> {
    await sleep(this.rng.int(0, 150));
    return this.inner.get(key, range);
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(key);
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    await sleep(this.rng.int(0, 400));
    return this.inner.list(prefix);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}
