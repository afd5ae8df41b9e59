import { promisify } from 'node:util';
import { gunzipSync, zstdCompress, zstdDecompressSync } from 'node:zlib';
import { IntegrityError } from '../../common/errors';
import type { Parser } from '../../common/fast-schema';
import { firstIssue } from '../../common/schema-primitives';
import type { BlobStore } from '../store/blob-store';
import { verifyMac, mac } from './keys';
import { inflateLimitText, MAX_INFLATED_BYTES } from './inflate-limit';
import { levelParams } from './zstd-blob';

/**
 * Mutable repository documents (work lists, partial results, restore plans, done markers) are
 * written by workers that hold the repository key and read back by other workers. Each is
 *   MAGIC (4 bytes) | sig (32 bytes) | body length (uint32 BE) | zstd(body)
 * where body is the document's JSON and sig = HMAC-SHA256(key, objectKey NUL body): someone who
 * can write the bucket but lacks the key can neither forge one nor move a valid one to another
 * name. Documents written before this envelope, gzipped (or plain) JSON `{body, sig}` with the
 * same signature in hex, are still read: repositories in the field, and work lists an older
 * worker wrote during an upgrade.
 */
export interface SigningRepo {
  readonly store: BlobStore;
  readonly key: Buffer;
}

/** 0x89 starts neither gzip (0x1f) nor JSON, so the old envelope is told apart by its first byte; the last byte is the version. */
const MAGIC = Buffer.from([0x89, 0x4c, 0x53, 0x01]);
const SIG_BYTES = 32;
const HEADER = MAGIC.length + SIG_BYTES + 4;
/** zstd level 1: a plan page's JSON shrinks about 5x, in less time than gzip's fastest level (and is read faster) */
const LEVEL = 1;

const compress = promisify(zstdCompress);

interface Opened {
  body: Buffer | string;
  /** the MAC as bytes (new envelope) or hex (old envelope) */
  sig: Buffer | string;
}

const isCurrent = (raw: Buffer) => raw.length >= MAGIC.length && raw.subarray(0, MAGIC.length).equals(MAGIC);

/** Why a stored document cannot be opened; the message names the reason. */
class Unreadable extends Error {}

/** The body and signature of either envelope, unchecked; undefined for a JSON document without them. Throws Unreadable. */
function open(raw: Buffer): Opened | undefined {
  if (isCurrent(raw)) {
    if (raw.length < HEADER) throw new Unreadable('truncated');
    const length = raw.readUInt32BE(HEADER - 4);
    if (length > MAX_INFLATED_BYTES) throw new Unreadable(`declares ${length} bytes, over the ${inflateLimitText} a document may hold`);
    // zstd returns what it could decode from a cut frame without an error: the recorded length tells
    const body = inflate(() => zstdDecompressSync(raw.subarray(HEADER), { maxOutputLength: Math.max(1, length) }), 'zstd', `the ${length} bytes it declares`);
    if (body.length !== length) throw new Unreadable('truncated');
    return { sig: raw.subarray(MAGIC.length, MAGIC.length + SIG_BYTES), body };
  }
  const text =
    raw.length > 2 && raw[0] === 0x1f && raw[1] === 0x8b
      ? inflate(() => gunzipSync(raw, { maxOutputLength: MAX_INFLATED_BYTES }), 'gzip', `the ${inflateLimitText} a document may hold`)
      : raw;
  let o;
  try {
    o = JSON.parse(text.toString('utf8')) as { body?: unknown; sig?: unknown } | null;
  } catch {
    throw new Unreadable('not valid JSON');
  }
  return o && typeof o.body === 'string' && typeof o.sig === 'string' ? { body: o.body, sig: o.sig } : undefined;
}

function inflate(run: () => Buffer, codec: string, limit: string): Buffer {
  try {
    return run();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Unreadable(`inflates to more than ${limit}`);
    throw new Unreadable(`not valid ${codec} data`);
  }
}

const signed = (key: Buffer, objectKey: string, env: Opened) =>
  verifyMac(key, [`${objectKey}\u0000`, env.body], typeof env.sig === 'string' ? Buffer.from(env.sig, 'hex') : env.sig);

const bodyText = (env: Opened) => (typeof env.body === 'string' ? env.body : env.body.toString('utf8'));

export async function writeSignedJson(repo: SigningRepo, objectKey: string, value: unknown): Promise<number> {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  if (body.length > MAX_INFLATED_BYTES) throw new Error(`${objectKey}: a document of ${body.length} bytes is over the ${inflateLimitText} a document may hold`);
  const sig = mac(repo.key, `${objectKey}\u0000`, body);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const doc = Buffer.concat([MAGIC, sig, length, await compress(body, levelParams(LEVEL, body.length))]);
  await repo.store.put(objectKey, doc);
  return doc.length;
}

/** Verify and parse; a missing object throws NotFoundError from the store, anything else invalid IntegrityError. */
export async function readSignedJson<T>(repo: SigningRepo, objectKey: string, schema: Parser<T>): Promise<T> {
  return parseSignedJson(repo.key, objectKey, await repo.store.get(objectKey), schema);
}

export function parseSignedJson<T>(key: Buffer, objectKey: string, raw: Buffer, schema: Parser<T>): T {
  let env;
  try {
    env = open(raw);
  } catch (e) {
    if (!(e instanceof Unreadable)) throw e;
    throw new IntegrityError(`${objectKey}: not a readable signed document (${e.message})`);
  }
  if (!env) throw new IntegrityError(`${objectKey}: carries no signature (not written with the repository key)`);
  if (!signed(key, objectKey, env)) {
    throw new IntegrityError(`${objectKey}: signature does not match (written without the repository key, or moved from another name)`);
  }
  let value;
  try {
    value = JSON.parse(bodyText(env)) as unknown;
  } catch {
    throw new IntegrityError(`${objectKey}: its signed body is not valid JSON`);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new IntegrityError(`${objectKey}: malformed (${firstIssue(r.error)})`);
  return r.data;
}

/**
 * The body of a signed document (either envelope) WITHOUT checking its signature: only for
 * readers that use it to keep more data (prune's reference set), never to act on it.
 */
export function unverifiedBody(raw: Buffer): unknown {
  const env = open(raw);
  return env ? JSON.parse(bodyText(env)) : undefined;
}
