import { gunzipSync, gzipSync } from 'node:zlib';
import type { z } from 'zod';
import { IntegrityError } from '../../common/errors';
import type { BlobStore } from '../store/blob-store';
import { sign, verifySignature } from './keys';

/**
 * Mutable repository documents (work lists, partial results, restore plans, done markers) are
 * written by workers that hold the repository key and read back by other workers. Each is
 * gzipped JSON `{body, sig}` where sig = HMAC(key, objectKey NUL body): someone who can write
 * the bucket but lacks the key can neither forge one nor move a valid one to another name.
 */
export interface SigningRepo {
  readonly store: BlobStore;
  readonly key: Buffer;
}

const Envelope = (raw: unknown): { body: string; sig: string } | undefined => {
  const o = raw as { body?: unknown; sig?: unknown } | null;
  return o && typeof o.body === 'string' && typeof o.sig === 'string' ? { body: o.body, sig: o.sig } : undefined;
};

const signedText = (objectKey: string, body: string) => `${objectKey}\u0000${body}`;

function unzipJson(raw: Buffer): unknown {
  const text = raw.length > 2 && raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  return JSON.parse(text.toString('utf8'));
}

export async function writeSignedJson(repo: SigningRepo, objectKey: string, value: unknown): Promise<number> {
  const body = JSON.stringify(value);
  const doc = gzipSync(JSON.stringify({ body, sig: sign(repo.key, signedText(objectKey, body)) }), { level: 1 });
  await repo.store.put(objectKey, doc);
  return doc.length;
}

/** Verify and parse; a missing object throws NotFoundError from the store, anything else invalid IntegrityError. */
export async function readSignedJson<S extends z.ZodTypeAny>(repo: SigningRepo, objectKey: string, schema: S): Promise<z.infer<S>> {
  return parseSignedJson(repo.key, objectKey, await repo.store.get(objectKey), schema);
}

export function parseSignedJson<S extends z.ZodTypeAny>(key: Buffer, objectKey: string, raw: Buffer, schema: S): z.infer<S> {
  let env;
  try {
    env = Envelope(unzipJson(raw));
  } catch {
    throw new IntegrityError(`${objectKey}: not valid (gzipped) JSON`);
  }
  if (!env) throw new IntegrityError(`${objectKey}: carries no signature (not written with the repository key)`);
  if (!verifySignature(key, signedText(objectKey, env.body), env.sig)) {
    throw new IntegrityError(`${objectKey}: signature does not match (written without the repository key, or moved from another name)`);
  }
  const r = schema.safeParse(JSON.parse(env.body));
  if (!r.success) throw new IntegrityError(`${objectKey}: malformed (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`);
  return r.data;
}

/**
 * The body of a signed document WITHOUT checking its signature: only for readers that use it to
 * keep more data (prune's reference set), never to act on it.
 */
export function unverifiedBody(raw: Buffer): unknown {
  const env = Envelope(unzipJson(raw));
  return env ? JSON.parse(env.body) : undefined;
}
