import { ForwardingStore } from './forwarding-store';

/**
 * Layer 0 of the repository: a flat key -> bytes object store.
 * Keys are '/'-separated relative names such as "data/ab/abcdef...".
 */
export interface ByteRange {
  /** first byte, inclusive */
  start: number;
  /** number of bytes */
  length: number;
}

export interface PutOptions {
  /** Fail with AlreadyExistsError if the key exists. */
  createOnly?: boolean;
  /** SHA-256 of body (hex) when the caller has it already: saves stores that sign payloads from hashing it again. */
  sha256?: string;
  /** S3 Object Lock retention for this object version (object-lock.ts sets it; only an S3 store with Object Lock takes it) */
  lock?: ObjectRetention;
}

export interface ObjectRetention {
  mode: 'GOVERNANCE' | 'COMPLIANCE';
  until: Date;
}

export interface ObjectInfo {
  key: string;
  size: number;
}

export interface BlobStore {
  /** Human readable location, e.g. "s3://bucket/prefix" or "file:///srv/repo". */
  readonly url: string;
  put(key: string, body: Buffer, opts?: PutOptions): Promise<void>;
  /** Throws NotFoundError when missing. */
  get(key: string, range?: ByteRange): Promise<Buffer>;
  /** undefined when missing. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** All objects whose key starts with prefix, in key order. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/** Wraps a store and counts bytes written/read; used for stats and benchmarks. */
export class CountingStore extends ForwardingStore {
  bytesPut = 0;
  objectsPut = 0;
  bytesGot = 0;
  override async put(key: string, body: Buffer, opts?: PutOptions): Promise<void> {
    await this.inner.put(key, body, opts);
    this.bytesPut += body.length;
    this.objectsPut += 1;
  }
  override async get(key: string, range?: ByteRange): Promise<Buffer> {
    const b = await this.inner.get(key, range);
    this.bytesGot += b.length;
    return b;
  }
}
