import { z } from 'zod';
import { arrayOf, type Fast, fastObject, literal, matching, withFastPath } from '../../common/fast-schema';
import { Sha256HexSchema, SHA256_HEX_PATTERN } from '../../common/schema-primitives';
import { IntegrityError, NotFoundError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import type { BlobStore } from '../store/blob-store';
import { INDEX_PREFIX, indexKey } from './layout';
import { BlobTupleSchema, fastBlobTuple, fromBlobTuple, sha256hex, toBlobTuple, type PackEntry } from './pack';
import { LocationTable, type BlobLocation } from './location-table';

export type { BlobLocation } from './location-table';

/** Plaintext bytes a stored blob holds (`sealOverhead`: the codec's per-blob overhead). */
export function plainLength(loc: { length: number; rawLength?: number }, sealOverhead: number): number {
  return loc.rawLength ?? loc.length - sealOverhead;
}

/** A location as the pack entry it came from (index rewrites keep the compression record). */
export function entryAt(id: string, loc: BlobLocation): PackEntry {
  return loc.rawLength === undefined
    ? { id, type: loc.type, offset: loc.offset, length: loc.length }
    : { id, type: loc.type, offset: loc.offset, length: loc.length, rawLength: loc.rawLength };
}

export const IndexFileSchema = z.object({
  v: z.literal(1),
  packs: z.array(
    z.object({
      id: Sha256HexSchema,
      blobs: z.array(BlobTupleSchema),
    }),
  ),
});
export type IndexFile = z.infer<typeof IndexFileSchema>;
/** IndexFileSchema by hand (common/fast-schema.ts): every backup and restore loads the whole index. */
export const fastIndexFile: Fast<IndexFile> = fastObject([
  ['v', literal(1)],
  [
    'packs',
    arrayOf(
      fastObject([
        ['id', matching(SHA256_HEX_PATTERN)],
        ['blobs', arrayOf(fastBlobTuple)],
      ]),
    ),
  ],
]);
const IndexFileParser = withFastPath(IndexFileSchema, fastIndexFile);

/**
 * chunk id -> where it lives. Loaded from every index object at backup and restore start. A
 * chunk stored in several packs (two backups of the same data at once) keeps every location;
 * the primary one is the lowest pack id, so every process sees the same primary whatever order
 * it read the index objects in.
 */
export class ChunkIndex {
  /** primary locations, compact: a million chunks take tens of MiB, not hundreds */
  private readonly map = new LocationTable();
  /** further locations of chunks stored more than once (rare) */
  private readonly extra = new Map<string, BlobLocation[]>();
  readonly packs = new Set<string>();

  get size(): number {
    return this.map.size;
  }
  has(id: string): boolean {
    return this.map.has(id);
  }
  /** the primary location */
  get(id: string): BlobLocation | undefined {
    return this.map.get(id);
  }
  /** every known location, primary first */
  locations(id: string): BlobLocation[] {
    const primary = this.map.get(id);
    if (!primary) return [];
    return [primary, ...(this.extra.get(id) ?? [])];
  }
  addPack(pack: string, entries: PackEntry[]): void {
    this.packs.add(pack);
    for (const e of entries) {
      const loc: BlobLocation = { pack, type: e.type, offset: e.offset, length: e.length };
      if (e.rawLength !== undefined) loc.rawLength = e.rawLength;
      const cur = this.map.get(e.id);
      if (!cur) {
        this.map.set(e.id, loc);
        continue;
      }
      if (cur.pack === pack) continue;
      const more = this.extra.get(e.id) ?? [];
      if (more.some((l) => l.pack === pack)) continue;
      if (pack < cur.pack) {
        this.map.set(e.id, loc);
        more.push(cur);
      } else more.push(loc);
      this.extra.set(e.id, more);
    }
  }
  addFile(f: IndexFile): void {
    for (const p of f.packs) this.addPack(p.id, p.blobs.map(fromBlobTuple));
  }
  /** primary locations */
  entries(): IterableIterator<[string, BlobLocation]> {
    return this.map.entries();
  }
  /** every (id, location) pair, duplicates included */
  *allEntries(): IterableIterator<[string, BlobLocation]> {
    yield* this.map.entries();
    for (const [id, locs] of this.extra) for (const l of locs) yield [id, l];
  }
}

export function encodeIndexFile(packs: { id: string; entries: PackEntry[] }[]): Buffer {
  const f: IndexFile = { v: 1, packs: packs.map((p) => ({ id: p.id, blobs: p.entries.map(toBlobTuple) })) };
  return Buffer.from(JSON.stringify(f));
}

/** Write an index object named by the hash of its content (idempotent). Returns its id. */
export async function writeIndexFile(store: BlobStore, packs: { id: string; entries: PackEntry[] }[]): Promise<string> {
  const body = encodeIndexFile(packs);
  const id = sha256hex(body);
  await store.put(indexKey(id), body);
  return id;
}

export function parseIndexFile(body: Buffer, id: string): IndexFile {
  if (sha256hex(body) !== id) throw new IntegrityError(`index ${id}: content does not match its name`);
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    throw new IntegrityError(`index ${id}: not JSON`);
  }
  const r = IndexFileParser.safeParse(raw);
  if (!r.success) throw new IntegrityError(`index ${id}: malformed`);
  return r.data;
}

/** Read the given index objects into `idx` (concurrently; adding is idempotent). Returns the keys found gone (NotFoundError), which add nothing. */
export async function loadIndexObjects(store: BlobStore, keys: string[], idx: ChunkIndex, concurrency = 16): Promise<string[]> {
  const gone: string[] = [];
  await mapLimit(keys, concurrency, async (key) => {
    let body: Buffer;
    try {
      body = await store.get(key);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      gone.push(key);
      return;
    }
    idx.addFile(parseIndexFile(body, key.slice(INDEX_PREFIX.length)));
  });
  return gone;
}
