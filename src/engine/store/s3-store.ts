import http from 'node:http';
import https from 'node:https';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { AlreadyExistsError, NotFoundError } from '../../common/errors';
import type { BlobStore, ByteRange, ObjectInfo, PutOptions } from './blob-store';
import { BufferedGetHandler, wholeBodyOf } from './buffered-get-handler';
import { assertValidKey, assertValidPrefix, assertValidRange, compareKeys } from './keys';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3ClientOptions {
  /** e.g. "http://127.0.0.1:8333"; omit for AWS. */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Omit to use the standard AWS credential chain. */
  credentials?: S3Credentials;
  /** SDK attempts per request, first try included (default 4). */
  maxAttempts?: number;
  /** Concurrent connections to the endpoint (default 64). */
  maxSockets?: number;
}

export interface S3StoreOptions extends S3ClientOptions {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing '/' ("" = bucket root). */
  prefix?: string;
}

export function createS3Client(opts: S3ClientOptions): S3Client {
  const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 64 };
  return new S3Client({
    endpoint: opts.endpoint,
    region: opts.region,
    forcePathStyle: opts.forcePathStyle,
    credentials: opts.credentials,
    maxAttempts: opts.maxAttempts ?? 4,
    // Since 3.729 the SDK adds CRC32 checksums to every request and validates responses;
    // S3-compatible servers (SeaweedFS among them) vary in support, so only when S3 requires it.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new BufferedGetHandler(
      new NodeHttpHandler({ httpAgent: new http.Agent(agentOpts), httpsAgent: new https.Agent(agentOpts), connectionTimeout: 10_000, requestTimeout: 300_000 }),
      { maxSockets: agentOpts.maxSockets, connectionTimeoutMs: 10_000, requestTimeoutMs: 300_000 },
    ),
  });
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function errName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name;
}

function isNotFound(err: unknown): boolean {
  return httpStatus(err) === 404 || errName(err) === 'NoSuchKey' || errName(err) === 'NotFound';
}

/** Creates the bucket unless it exists already (also when another process creates it first). */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = errName(err);
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
}

/**
 * The response body in one Buffer: as BufferedGetHandler read it, or else, with a known length,
 * the stream copied straight into a buffer of that size (no list of pieces to concatenate).
 */
async function readBody(body: unknown, length: number | undefined, key: string): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const whole = wholeBodyOf(body);
  if (whole && length === whole.length) return whole;
  if (length === undefined || !(Symbol.asyncIterator in (body as object))) {
    const bytes = await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const buf = Buffer.allocUnsafe(length);
  let at = 0;
  for await (const piece of body as AsyncIterable<Buffer>) {
    if (at + piece.length > length) throw new Error(`long read of ${key}: more than ${length} bytes`);
    piece.copy(buf, at);
    at += piece.length;
  }
  if (at !== length) throw new Error(`short read of ${key}: ${at} of ${length} bytes`);
  return buf;
}

export class S3Store implements BlobStore {
  readonly url: string;
  readonly client: S3Client;
  readonly bucket: string;
  /** "" or "prefix/" */
  private readonly base: string;

  constructor(opts: S3StoreOptions) {
    const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.bucket = opts.bucket;
    this.base = prefix ? `${prefix}/` : '';
    this.url = `s3://${opts.bucket}${prefix ? `/${prefix}` : ''}`;
    this.client = createS3Client(opts);
  }

  /** The bucket key of a repository key (for requests this class does not wrap, such as object-lock.ts's). */
  objectKey(key: string): string {
    assertValidKey(key);
    return this.base + key;
  }

  async put(key: string, body: Buffer, opts: PutOptions = {}): Promise<void> {
    const Key = this.objectKey(key);
    if (opts.createOnly) {
      // If-None-Match makes the write atomic where the server honours it (AWS since 2024,
      // recent SeaweedFS); the head check first covers servers that ignore the header, with a
      // small race left there: two writers that both pass the head both write, last one wins.
      if (await this.head(key)) throw new AlreadyExistsError(`object already exists: ${key}`);
    }
    const cmd = new PutObjectCommand({
      Bucket: this.bucket,
      Key,
      Body: body,
      ContentLength: body.length,
      IfNoneMatch: opts.createOnly ? '*' : undefined,
      ObjectLockMode: opts.lock?.mode,
      ObjectLockRetainUntilDate: opts.lock?.until,
    });
    if (opts.sha256) {
      // SigV4 signs the payload hash; over plain http the SDK would hash the body itself (a second
      // SHA-256 pass over every pack). A present x-amz-content-sha256 header is used as is.
      const sha = opts.sha256;
      cmd.middlewareStack.add(
        (next) => (args) => {
          const req = args.request as { headers?: Record<string, string> };
          if (req.headers) req.headers['x-amz-content-sha256'] = sha;
          return next(args);
        },
        { step: 'build', name: 'leptonPayloadSha256' },
      );
    }
    try {
      await this.client.send(cmd);
    } catch (err) {
      if (opts.createOnly && (httpStatus(err) === 412 || errName(err) === 'PreconditionFailed')) {
        throw new AlreadyExistsError(`object already exists: ${key}`);
      }
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    assertValidKey(key);
    if (range) assertValidRange(range);
    if (range?.length === 0) {
      if (!(await this.head(key))) throw new NotFoundError(`object not found: ${key}`);
      return Buffer.alloc(0);
    }
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.base + key,
          Range: range ? `bytes=${range.start}-${range.start + range.length - 1}` : undefined,
        }),
      );
      const buf = await readBody(res.Body, res.ContentLength, key);
      // A server that ignores Range answers 200 with the whole object.
      if (range && !res.ContentRange) return buf.subarray(range.start, range.start + range.length);
      return buf;
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`object not found: ${key}`);
      // 416: range starts at or past the end; same answer as FsStore.
      if (range && httpStatus(err) === 416) return Buffer.alloc(0);
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.base + key }));
      return { key, size: res.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(prefix);
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.base + prefix, ContinuationToken: token }));
      for (const o of res.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(this.base)) continue;
        out.push({ key: o.Key.slice(this.base.length), size: o.Size ?? 0 });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    // Not every S3-compatible server lists in UTF-8 byte order across "directories".
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.base + key }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Closes idle connections. */
  destroy(): void {
    this.client.destroy();
  }
}
