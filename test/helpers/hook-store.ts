import type { BlobStore, ByteRange, ObjectInfo, PutOptions } from '../../src/engine/store/blob-store';

/**
 * A store wrapper that runs a hook before each call: tests inject interleavings (run a prune
 * right when a backup lists, commit while a prune scans) and faults (throw to "crash").
 */
export interface StoreHooks {
  put?(key: string, body: Buffer): Promise<void> | void;
  get?(key: string): Promise<void> | void;
  list?(prefix: string): Promise<void> | void;
  delete?(key: string): Promise<void> | void;
}

export class HookStore implements BlobStore {
  constructor(
    readonly inner: BlobStore,
    public hooks: StoreHooks = {},
  ) {}
  get url(): string {
    return this.inner.url;
  }
  async put(key: string, body: Buffer, opts?: PutOptions): Promise<void> {
    await this.hooks.put?.(key, body);
    return this.inner.put(key, body, opts);
  }
  async get(key: string, range?: ByteRange): Promise<Buffer> {
    await this.hooks.get?.(key);
    return this.inner.get(key, range);
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(key);
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    await this.hooks.list?.(prefix);
    return this.inner.list(prefix);
  }
  async delete(key: string): Promise<void> {
    await this.hooks.delete?.(key);
    return this.inner.delete(key);
  }
}

/** Runs `fn` the first time `when` holds, never again (also not while it runs). */
export function once(when: (key: string) => boolean, fn: () => Promise<void>): (key: string) => Promise<void> {
  let fired = false;
  return async (key) => {
    if (fired || !when(key)) return;
    fired = true;
    await fn();
  };
}
