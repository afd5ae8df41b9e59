import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AlreadyExistsError, BadInputError, IntegrityError, NotFoundError } from '../../common/errors';
import { firstIssue } from '../../common/schema-primitives';
import { DEFAULT_CHUNKER, type ChunkerParams } from '../chunker/fastcdc';
import type { BlobStore } from '../store/blob-store';
import { ChunkIndex, loadIndexObjects, type BlobLocation } from './chunk-index';
import { sign, verifySignature } from './keys';
import { CONFIG_KEY, INDEX_PREFIX, packKey, SNAPSHOT_PREFIX, snapshotKey } from './layout';
import { compressBlob, CompressionSchema, type Compression } from './blob-compression';
import { EncryptionConfigSchema, encryptedCodec, newEncryptionConfig, type EncryptionConfig } from './blob-cipher';
import { plainCodec, type BlobCodec } from './blob-codec';
import { openBlob } from './open-blob';
import { DEFAULT_PACK_SIZE_MIB } from './pack';
import { unlock, type Unlocked } from './key-store';
import { decodeManifest, encodeManifest, type SnapshotManifest } from './snapshot';
import { decodeTreeBlob, isCompressedTreeBlob, TreeBlobParser, type TreeEntry } from './tree';
import { planTreeReads, readTreeBlobs } from './tree-reads';

const RepoConfigSchema = z.object({
  v: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  created: z.string(),
  chunker: z.object({ min: z.number().int().positive(), avg: z.number().int().positive(), max: z.number().int().positive() }),
  encryption: EncryptionConfigSchema.optional(),
  /** the compression new writes use unless the caller says otherwise; absent (older repositories) = off */
  compression: CompressionSchema.optional(),
});
type RepoConfig = z.infer<typeof RepoConfigSchema>;

export interface RepositoryOptions {
  packSize?: number;
  /** create the repository if it does not exist yet */
  create?: boolean;
  /** password of an encrypted repository; a new repository with a password is encrypted */
  password?: string;
  /** compression of blobs this process writes; defaults to the repository's setting (`auto` for a new one) */
  compression?: Compression;
}

/** A blob ready for a pack: stored bytes, and the plaintext length when they are compressed. */
export interface SealedBlob {
  stored: Buffer;
  rawLength?: number;
}

export type SnapshotSelector = { id: string } | { latest: true } | { before: Date };

/** A backup repository: config, packs, index and signed snapshots in a BlobStore. */
export class Repository {
  private index?: ChunkIndex;
  /** index objects already read into `index` */
  private indexKeys = new Set<string>();
  private refreshing?: Promise<ChunkIndex>;

  private constructor(
    readonly store: BlobStore,
    readonly key: Buffer,
    private cfg: RepoConfig,
    readonly packSize: number,
    readonly codec: BlobCodec,
    /** what blobs written through this handle use */
    readonly compression: Compression,
    /** the master key and the key that opened an encrypted repository */
    readonly unlocked?: Unlocked,
  ) {}

  get config(): RepoConfig {
    return this.cfg;
  }

  get chunker(): ChunkerParams {
    return this.cfg.chunker;
  }

  static async open(store: BlobStore, key: Buffer, opts: RepositoryOptions = {}): Promise<Repository> {
    const packSize = opts.packSize ?? DEFAULT_PACK_SIZE_MIB * 1024 * 1024;
    // the config read straight away: a missing one is the one case that needs more
    const found = await readConfig(store, key).catch((e: unknown) => {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
    if (!found) {
      if (!opts.create) throw new NotFoundError(`no repository at ${store.url} (run a backup to create it)`);
      const config: RepoConfig = {
        v: 1,
        id: randomBytes(16).toString('hex'),
        created: new Date().toISOString(),
        chunker: DEFAULT_CHUNKER,
        compression: opts.compression ?? 'auto',
      };
      if (opts.password) config.encryption = newEncryptionConfig(opts.password).config;
      try {
        await writeConfig(store, key, config, true);
      } catch (e) {
        if (!(e instanceof AlreadyExistsError)) throw e;
      }
    }
    const config = found ?? (await readConfig(store, key));
    let codec = plainCodec;
    if (!config.encryption && opts.password) {
      throw new BadInputError(
        `repository ${store.url} was created without encryption, but a password was given: refusing to go on storing plaintext while the plan says encrypted (remove repository.passwordEnv/passwordFile, or create a new encrypted repository)`,
      );
    }
    let unlocked: Unlocked | undefined;
    if (config.encryption) {
      if (!opts.password) throw new BadInputError(`repository ${store.url} is encrypted: give its password (repository.passwordEnv or passwordFile)`);
      unlocked = await unlock(store, key, config.encryption, opts.password);
      codec = encryptedCodec(unlocked.master);
    }
    return new Repository(store, key, config, packSize, codec, opts.compression ?? config.compression ?? 'off', unlocked);
  }

  /** Replace the encryption section of the signed config (key management drops the key it holds). */
  async rewriteConfig(encryption: EncryptionConfig): Promise<void> {
    const next = { ...this.cfg, encryption };
    await writeConfig(this.store, this.key, next, false);
    this.cfg = next;
  }

  /**
   * Index objects this process deleted after writing one that names all their entries: a refresh
   * need not rebuild for their absence, since the index already holds what they held.
   */
  indexObjectsMerged(keys: readonly string[]): void {
    for (const k of keys) this.indexKeys.delete(k);
  }

  /**
   * The chunk index, shared by everything in this process. A refresh reads only index objects
   * not seen yet; if one seen before is gone (a prune rewrote the index), it rebuilds.
   */
  async loadIndex(refresh = false): Promise<ChunkIndex> {
    if (this.index && !refresh) return this.index;
    // a caller that comes while a load runs waits for it, whether it asked for a refresh or not:
    // an index read a little earlier only lacks locations, which a reader treats as not stored
    this.refreshing ??= this.refreshIndex().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refreshIndex(): Promise<ChunkIndex> {
    let keys = (await this.store.list(INDEX_PREFIX)).map((o) => o.key);
    const present = new Set(keys);
    // a rebuild fills a new index, so the one handed out before stays whole until it is replaced
    const kept = this.index && [...this.indexKeys].every((k) => present.has(k)) ? this.index : undefined;
    const index = kept ?? new ChunkIndex();
    const known = kept ? this.indexKeys : new Set<string>();
    // Whoever replaces index objects (a batch merging its own, a prune rewriting) writes the new
    // ones before deleting the old: an object gone between the listing and its read is only
    // replaced, and a second listing shows what replaced it. What is gone adds no entry, which
    // is safe (a chunk not found is stored again). The objects of a slow replacement vanish one
    // by one, so a refresh reads on from where it was rather than starting over each time.
    const tried = new Set<string>();
    for (let round = 1; ; round++) {
      const fresh = keys.filter((k) => !known.has(k) && !tried.has(k));
      const gone = new Set(await loadIndexObjects(this.store, fresh, index));
      for (const k of fresh) (gone.has(k) ? tried : known).add(k);
      if (gone.size === 0) break;
      if (round >= 5) throw new NotFoundError(`index objects vanished while the index was read, ${round} times: ${[...gone].slice(0, 3).join(', ')}`);
      keys = (await this.store.list(INDEX_PREFIX)).map((o) => o.key);
      const now = new Set(keys);
      if (kept && [...known].some((k) => !now.has(k))) {
        // an object this index was built from went too (a prune rewrote the index): rebuild
        this.index = undefined;
        return this.refreshIndex();
      }
    }
    this.index = index;
    this.indexKeys = known;
    return index;
  }

  /** Compress (per the setting) then seal one plaintext blob for a pack; its id stays that of the plaintext. */
  async sealBlob(plain: Buffer): Promise<SealedBlob> {
    const packed = await compressBlob(plain, this.compression);
    return { stored: this.codec.encode(packed.data), rawLength: packed.rawLength };
  }

  /** Fetch one blob, decode it and check it against its id; IntegrityError names `what`. `from`: this store under a batch's limits. */
  async readBlob(id: string, loc: BlobLocation, what: string, from: BlobStore = this.store): Promise<Buffer> {
    const stored = await from.get(packKey(loc.pack), { start: loc.offset, length: loc.length });
    if (stored.length !== loc.length) throw new IntegrityError(`${what}: pack ${loc.pack.slice(0, 12)} is truncated`);
    return this.checkBlob(id, stored, `${what}: chunk ${id.slice(0, 12)} in pack ${loc.pack.slice(0, 12)}`, loc.rawLength);
  }

  /** Decode a stored blob and check it against its id (openBlob); IntegrityError names `what`. */
  checkBlob(id: string, stored: Buffer, what: string, rawLength?: number): Buffer {
    return openBlob(this.codec, id, stored, what, rawLength);
  }

  async writeSnapshot(m: SnapshotManifest): Promise<void> {
    try {
      await this.store.put(snapshotKey(m.id), encodeManifest(m, this.key), { createOnly: true });
    } catch (e) {
      if (!(e instanceof AlreadyExistsError)) throw e;
      const existing = await this.loadSnapshot(m.id);
      if (JSON.stringify(existing.tree) !== JSON.stringify(m.tree)) throw new AlreadyExistsError(`snapshot ${m.id} already exists with other content`);
    }
  }

  async loadSnapshot(id: string): Promise<SnapshotManifest> {
    let raw: Buffer;
    try {
      raw = await this.store.get(snapshotKey(id));
    } catch (e) {
      if (e instanceof NotFoundError) throw new NotFoundError(`snapshot ${id} does not exist`);
      throw e;
    }
    return decodeManifest(raw, this.key, id);
  }

  async listSnapshotIds(): Promise<string[]> {
    return (await this.store.list(SNAPSHOT_PREFIX)).map((o) => o.key.slice(SNAPSHOT_PREFIX.length));
  }

  /** Every snapshot whose signature verifies, oldest first. Tampered ones are reported, not returned. */
  async listSnapshots(filter: { asset?: string } = {}, onInvalid?: (id: string, err: Error) => void): Promise<SnapshotManifest[]> {
    const ids = await this.listSnapshotIds();
    const out: SnapshotManifest[] = [];
    await Promise.all(
      ids.map(async (id) => {
        try {
          const m = await this.loadSnapshot(id);
          if (!filter.asset || m.asset === filter.asset) out.push(m);
        } catch (e) {
          if (e instanceof IntegrityError) onInvalid?.(id, e);
          // forgotten between the listing and the read: it is simply not there any more
          else if (!(e instanceof NotFoundError)) throw e;
        }
      }),
    );
    return out.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
  }

  async resolveSnapshot(asset: string | undefined, sel: SnapshotSelector): Promise<SnapshotManifest> {
    if ('id' in sel) {
      if (!/^[0-9a-f]{4,32}$/.test(sel.id)) throw new BadInputError(`snapshot: "${sel.id}" is not a snapshot id (4 to 32 hex characters)`);
      if (sel.id.length === 32) return this.loadSnapshot(sel.id);
      const matches = (await this.listSnapshotIds()).filter((i) => i.startsWith(sel.id));
      if (matches.length === 0) throw new NotFoundError(`snapshot ${sel.id} does not exist`);
      if (matches.length > 1) throw new BadInputError(`snapshot: prefix ${sel.id} is ambiguous (${matches.length} snapshots)`);
      return this.loadSnapshot(matches[0]);
    }
    const all = await this.listSnapshots({ asset });
    const pool = 'before' in sel ? all.filter((s) => new Date(s.time) <= sel.before) : all;
    const m = pool[pool.length - 1];
    if (!m) {
      const when = 'before' in sel ? ` before ${sel.before.toISOString()}` : '';
      throw new NotFoundError(`no snapshot of asset "${asset ?? '*'}"${when}`);
    }
    return m;
  }

  /** Every entry of a snapshot's tree at once: for small trees and tools; the engine's steps walk treeBlobs. */
  async loadTree(m: SnapshotManifest): Promise<TreeEntry[]> {
    const out: TreeEntry[] = [];
    for await (const entries of this.treeBlobs(m)) for (const e of entries) out.push(e);
    return out;
  }

  /**
   * A snapshot's tree one blob at a time, in tree order, each checked against its id and
   * validated. Neighbouring blobs are fetched in one ranged read, a few reads ahead (tree-reads.ts).
   */
  async *treeBlobs(m: Pick<SnapshotManifest, 'id' | 'tree'>): AsyncGenerator<TreeEntry[]> {
    for await (const b of this.treeBlobTexts(m)) yield b.entries;
  }

  /**
   * treeBlobs with each blob's id and, when it is stored as this version stores tree blobs
   * (compressTreeBlob), its JSON text: the text a new snapshot's blob must have to reuse the id.
   */
  async *treeBlobTexts(m: Pick<SnapshotManifest, 'id' | 'tree'>): AsyncGenerator<{ id: string; entries: TreeEntry[]; text?: string }> {
    const blobs: { id: string; loc: BlobLocation }[] = [];
    for (const id of m.tree) {
      let loc = (await this.loadIndex()).get(id);
      if (!loc) loc = (await this.loadIndex(true)).get(id);
      if (!loc) throw new IntegrityError(`snapshot ${m.id}: tree blob ${id.slice(0, 12)} is not in the index`);
      blobs.push({ id, loc });
    }
    const what = `snapshot ${m.id} tree`;
    for await (const b of readTreeBlobs(this.store, planTreeReads(blobs), what)) {
      const where = `${what}: chunk ${b.id.slice(0, 12)} in pack ${b.loc.pack.slice(0, 12)}`;
      const data = this.checkBlob(b.id, b.stored, where, b.loc.rawLength);
      const text = decodeTreeBlob(data, where);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new IntegrityError(`${where}: is not valid JSON (stored data is corrupt)`);
      }
      const r = TreeBlobParser.safeParse(json);
      if (!r.success) throw new IntegrityError(`snapshot ${m.id}: tree blob ${b.id.slice(0, 12)} is malformed (${firstIssue(r.error)})`);
      yield { id: b.id, entries: r.data.entries, ...(isCompressedTreeBlob(data) ? { text } : {}) };
    }
  }
}

async function writeConfig(store: BlobStore, key: Buffer, config: RepoConfig, createOnly: boolean): Promise<void> {
  const body = JSON.stringify(config);
  await store.put(CONFIG_KEY, Buffer.from(JSON.stringify({ body, sig: sign(key, body) })), { createOnly });
}

async function readConfig(store: BlobStore, key: Buffer): Promise<RepoConfig> {
  const raw = JSON.parse((await store.get(CONFIG_KEY)).toString('utf8')) as { body?: string; sig?: string };
  if (typeof raw.body !== 'string' || typeof raw.sig !== 'string' || !verifySignature(key, raw.body, raw.sig)) {
    throw new IntegrityError(`repository ${store.url}: config signature does not match (wrong repository key?)`);
  }
  const r = RepoConfigSchema.safeParse(JSON.parse(raw.body));
  if (!r.success) throw new IntegrityError(`repository ${store.url}: config is malformed`);
  return r.data;
}
