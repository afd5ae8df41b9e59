import type { z } from 'zod';
import { IntegrityError, NotFoundError } from '../../common/errors';
import type { BlobStore } from '../store/blob-store';
import { readSignedJson, type SigningRepo } from './signed-doc';

/**
 * Plain (unsigned) JSON documents in the repository's store: failover reports and their per-site
 * pointers. The one place that encodes them and reads them back against a schema, so no caller
 * parses stored bytes by hand (in the spirit of kopia's manifest manager). Documents other
 * workers act on are signed instead (signed-doc.ts, read through findSignedJson when they may
 * be missing).
 */
export class JsonDocuments {
  constructor(private readonly store: BlobStore) {}

  /** Indented JSON with a final newline: people read these with `aws s3 cp ... -`. */
  async put(key: string, value: unknown): Promise<void> {
    await this.store.put(key, Buffer.from(`${JSON.stringify(value, null, 2)}\n`));
  }

  /** The document at `key` as `schema` says; null when there is none; IntegrityError when it does not parse. */
  async get<S extends z.ZodTypeAny>(key: string, schema: S): Promise<z.infer<S> | null> {
    const raw = await this.raw(key);
    if (raw === undefined) return null;
    const r = schema.safeParse(raw);
    if (!r.success) throw new IntegrityError(`${key}: malformed (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`);
    return r.data;
  }

  /** As get, but a malformed document reads as null: for overviews that must not fail on one bad entry. */
  async tryGet<S extends z.ZodTypeAny>(key: string, schema: S): Promise<z.infer<S> | null> {
    try {
      return await this.get(key, schema);
    } catch (e) {
      if (e instanceof IntegrityError) return null;
      throw e;
    }
  }

  delete(key: string): Promise<void> {
    return this.store.delete(key);
  }

  private async raw(key: string): Promise<unknown> {
    let bytes: Buffer;
    try {
      bytes = await this.store.get(key);
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new IntegrityError(`${key}: not valid JSON`);
    }
  }
}

/** A signed document that may not exist yet: undefined when missing, verified and parsed otherwise (no head-then-get). */
export async function findSignedJson<S extends z.ZodTypeAny>(repo: SigningRepo, key: string, schema: S): Promise<z.infer<S> | undefined> {
  try {
    return await readSignedJson(repo, key, schema);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}
