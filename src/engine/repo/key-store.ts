import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';
import { BadInputError, IntegrityError, NotFoundError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import type { BlobStore } from '../store/blob-store';
import { unwrapMaster, wrapMaster, WrappedKeySchema, type EncryptionConfig, type WrappedKey } from './blob-cipher';
import { KEYS_PREFIX, keyObjectKey } from './layout';
import { readSignedJson, writeSignedJson, type SigningRepo } from './signed-doc';

/**
 * The passwords of an encrypted repository. The data is sealed under one random master key;
 * each password wraps a copy of it. The key the repository was created with sits in its config
 * (id "config"); further ones are signed documents `keys/<id>`. Adding, removing or changing a
 * password rewrites only these few bytes, never the data.
 */
export const CONFIG_KEY_ID = 'config';

const KeyObjectSchema = WrappedKeySchema.extend({
  v: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{16}$/),
  created: z.string().datetime(),
  host: z.string(),
  label: z.string().max(200).optional(),
});
type KeyObject = z.infer<typeof KeyObjectSchema>;

export interface KeyInfo {
  id: string;
  created?: string;
  host?: string;
  label?: string;
}

export interface Unlocked {
  master: Buffer;
  /** the key that opened the repository */
  keyId: string;
}

async function keyObjects(repo: SigningRepo): Promise<KeyObject[]> {
  const out: KeyObject[] = [];
  await mapLimit(await repo.store.list(KEYS_PREFIX), 8, async (o) => {
    try {
      out.push(await readSignedJson(repo, o.key, KeyObjectSchema));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  });
  return out.sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
}

function candidates(enc: EncryptionConfig, objects: KeyObject[]): { id: string; wrapped: WrappedKey }[] {
  const inConfig = enc.wrappedKey ? [{ id: CONFIG_KEY_ID, wrapped: { kdf: enc.kdf, wrappedKey: enc.wrappedKey } }] : [];
  return [...inConfig, ...objects.map((k) => ({ id: k.id, wrapped: k }))];
}

/** Find the key the password opens (each try costs one scrypt). */
export async function unlock(store: BlobStore, signKey: Buffer, enc: EncryptionConfig, password: string): Promise<Unlocked> {
  const all = candidates(enc, await keyObjects({ store, key: signKey }));
  for (const c of all) {
    try {
      return { master: unwrapMaster(c.wrapped, password), keyId: c.id };
    } catch (e) {
      if (!(e instanceof BadInputError)) throw e;
    }
  }
  if (!all.length) throw new IntegrityError(`repository ${store.url} is encrypted but holds no key at all`);
  throw new BadInputError(`repository password is wrong (none of the repository's ${all.length} key(s) opens with it)`);
}

/** What an encrypted, unlocked repository offers for key management (Repository implements it). */
export interface KeyedRepo extends SigningRepo {
  readonly unlocked?: Unlocked;
  readonly config: { encryption?: EncryptionConfig };
  /** rewrite the signed config (only to drop the key it holds) */
  rewriteConfig(encryption: EncryptionConfig): Promise<void>;
}

function unlockedOf(repo: KeyedRepo): Unlocked & { enc: EncryptionConfig } {
  if (!repo.config.encryption || !repo.unlocked) throw new BadInputError(`repository ${repo.store.url} is not encrypted: it has no passwords to manage`);
  return { ...repo.unlocked, enc: repo.config.encryption };
}

export async function listKeys(repo: KeyedRepo): Promise<(KeyInfo & { current: boolean })[]> {
  const { keyId, enc } = unlockedOf(repo);
  const objects = await keyObjects(repo);
  const infos: KeyInfo[] = [
    ...(enc.wrappedKey ? [{ id: CONFIG_KEY_ID }] : []),
    ...objects.map(({ id, created, host, label }) => ({ id, created, host, ...(label ? { label } : {}) })),
  ];
  return infos.map((k) => ({ ...k, current: k.id === keyId }));
}

export async function addKey(repo: KeyedRepo, password: string, label?: string): Promise<string> {
  const { master } = unlockedOf(repo);
  if (password.length < 8) throw new BadInputError('new password: must be at least 8 characters');
  const id = randomBytes(8).toString('hex');
  const doc: KeyObject = { v: 1, id, created: new Date().toISOString(), host: os.hostname(), ...(label ? { label } : {}), ...wrapMaster(master, password) };
  await writeSignedJson(repo, keyObjectKey(id), doc);
  return id;
}

/** Remove a key; never the last one, and never the one in use unless `allowCurrent` (passwd). */
export async function removeKey(repo: KeyedRepo, id: string, allowCurrent = false): Promise<void> {
  const { keyId, enc } = unlockedOf(repo);
  const ids = candidates(enc, await keyObjects(repo)).map((c) => c.id);
  if (!ids.includes(id)) throw new NotFoundError(`key ${id} does not exist (keys: ${ids.join(', ')})`);
  if (id === keyId && !allowCurrent)
    throw new BadInputError(`key ${id} is the one this command opened the repository with: open with another key's password to remove it, or use "key passwd"`);
  if (ids.length === 1) throw new BadInputError(`key ${id} is the repository's only key: removing it would make the data unreadable`);
  if (id === CONFIG_KEY_ID) {
    const { wrappedKey: _dropped, ...rest } = enc;
    await repo.rewriteConfig(rest);
  } else await repo.store.delete(keyObjectKey(id));
}

/** A new password replaces the one in use: add, then remove the old key. */
export async function changePassword(repo: KeyedRepo, password: string, label?: string): Promise<{ added: string; removed: string }> {
  const { keyId } = unlockedOf(repo);
  const added = await addKey(repo, password, label);
  await removeKey(repo, keyId, true);
  return { added, removed: keyId };
}
