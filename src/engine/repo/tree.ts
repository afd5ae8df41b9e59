import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { IntegrityError } from '../../common/errors';
import { inflateLimitText, MAX_INFLATED_BYTES } from './inflate-limit';
import { Sha256HexSchema, SHA256_HEX_PATTERN } from '../../common/schema-primitives';
import {
  arrayOf,
  type Fast,
  withFastPath,
  fastObject,
  type Field,
  intIn,
  literal,
  matching,
  nonEmptyStr,
  num,
  plainObject,
  str,
  stringRecord,
} from '../../common/fast-schema';

const NS_PATTERN = /^\d+$/;
const ModeSchema = z.number().int().min(0).max(0o7777);
const NsSchema = z.string().regex(NS_PATTERN);
const IdSchema = z.number().int().min(0);

/**
 * Metadata every entry may carry. All optional so trees written before stay valid.
 * - `path`: POSIX, relative to the source root. When the name's bytes are valid UTF-8 it is the
 *   name itself and `rawPath` is absent (older trees and blobs stay byte-identical).
 * - `rawPath`: base64 of the exact path bytes, present only when they are NOT valid UTF-8; then
 *   `path` is `displayPath(bytes)` (invalid bytes and backslashes written `\xHH`), used for
 *   matching and messages only. Every filesystem call uses the bytes.
 * - `uid`/`gid`: numeric owner, restored when the restoring process runs as root.
 * - `xattrs`: extended attributes, name -> base64 value.
 */
const Meta = {
  path: z.string().min(1),
  rawPath: z.string().optional(),
  mode: ModeSchema,
  uid: IdSchema.optional(),
  gid: IdSchema.optional(),
  mtimeNs: NsSchema,
  xattrs: z.record(z.string()).optional(),
};

export const FileEntrySchema = z.object({
  type: z.literal('file'),
  ...Meta,
  size: z.number().int().min(0),
  chunks: z.array(Sha256HexSchema),
  ino: z.number().optional(),
  ctimeNs: z.string().optional(),
  /** S3-prefix sources: the object's ETag, part of its change key (source/change-key.ts) */
  etag: z.string().optional(),
  /** files of one group are hard links to one inode; numbered in tree order from 0 */
  linkGroup: IdSchema.optional(),
});

/** One node of a snapshot's file tree. */
export const TreeEntrySchema = z.discriminatedUnion('type', [
  FileEntrySchema,
  z.object({ type: z.literal('dir'), ...Meta }),
  z.object({
    type: z.literal('symlink'),
    ...Meta,
    target: z.string(),
    /** base64 of the target's bytes, only when they are not valid UTF-8 */
    rawTarget: z.string().optional(),
  }),
  /** never opened for reading; recreated with mknod */
  z.object({ type: z.literal('fifo'), ...Meta }),
  z.object({ type: z.literal('chardev'), ...Meta, major: IdSchema, minor: IdSchema }),
  z.object({ type: z.literal('blockdev'), ...Meta, major: IdSchema, minor: IdSchema }),
]);
export type TreeEntry = z.infer<typeof TreeEntrySchema>;
export type FileEntry = Extract<TreeEntry, { type: 'file' }>;
export type SpecialEntry = Extract<TreeEntry, { type: 'fifo' | 'chardev' | 'blockdev' }>;

/*
 * The same entries checked by hand, field for field in the schemas' key order (see
 * common/fast-schema.ts): tree blobs and plan pages are read on every backup, and zod's
 * discriminated union was most of a no-change run's CPU. test/unit/fast-schema.test.ts holds
 * the two to the same answers.
 */
const ID = intIn(0);
const META: Field[] = [
  ['path', nonEmptyStr],
  ['rawPath', str, 'optional'],
  ['mode', intIn(0, 0o7777)],
  ['uid', ID, 'optional'],
  ['gid', ID, 'optional'],
  ['mtimeNs', matching(NS_PATTERN)],
  ['xattrs', stringRecord, 'optional'],
];
export const FILE_FIELDS: Field[] = [
  ['type', literal('file')],
  ...META,
  ['size', ID],
  ['chunks', arrayOf(matching(SHA256_HEX_PATTERN))],
  ['ino', num, 'optional'],
  ['ctimeNs', str, 'optional'],
  ['etag', str, 'optional'],
  ['linkGroup', ID, 'optional'],
];
const DEVICE: Field[] = [
  ['major', ID],
  ['minor', ID],
];
const FAST_ENTRY = new Map<unknown, Fast<TreeEntry>>([
  ['file', fastObject(FILE_FIELDS)],
  ['dir', fastObject([['type', literal('dir')], ...META])],
  ['symlink', fastObject([['type', literal('symlink')], ...META, ['target', str], ['rawTarget', str, 'optional']])],
  ['fifo', fastObject([['type', literal('fifo')], ...META])],
  ['chardev', fastObject([['type', literal('chardev')], ...META, ...DEVICE])],
  ['blockdev', fastObject([['type', literal('blockdev')], ...META, ...DEVICE])],
]);

/** TreeEntrySchema's parse by hand, or undefined: then TreeEntrySchema decides (and names the field). */
export const fastTreeEntry: Fast<TreeEntry> = (v) => (plainObject(v) ? FAST_ENTRY.get(v.type)?.(v) : undefined);

/** ModeSchema, owner and mtime of the backed-up folder itself (snapshots before it lack it). */
export const RootMetaSchema = z.object({
  mode: ModeSchema,
  uid: IdSchema.optional(),
  gid: IdSchema.optional(),
  mtimeNs: NsSchema,
  xattrs: z.record(z.string()).optional(),
});
export type RootMeta = z.infer<typeof RootMetaSchema>;

export const TreeBlobSchema = z.object({ v: z.literal(1), entries: z.array(TreeEntrySchema) });
export const fastTreeBlob: Fast<z.infer<typeof TreeBlobSchema>> = fastObject([
  ['v', literal(1)],
  ['entries', arrayOf(fastTreeEntry)],
]);
/** What reads a tree blob: TreeBlobSchema with its fast path. */
export const TreeBlobParser = withFastPath(TreeBlobSchema, fastTreeBlob);

/** About one path in this many ends a tree blob (see TreeBlobSplitter). */
export const TREE_BLOB_ENTRIES = 64;
/** No tree blob passes this many bytes of JSON (unless one entry alone does). */
export const TREE_BLOB_MAX_BYTES = 4 * 1024 * 1024;

/** FNV-1a of a path: where a tree blob ends depends on the paths alone. */
function pathHash(p: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** True when a blob ends after the entry at this path, whatever came before it in the blob. */
export const endsTreeBlob = (path: string): boolean => pathHash(path) % TREE_BLOB_ENTRIES === 0;

/** One finished tree blob before compression: its JSON text and how many entries it holds. */
export interface TreeBlobText {
  text: string;
  entries: number;
}

/**
 * Where tree blobs end, the one rule that TreeBlobEncoder writes by and the backup plan predicts
 * by (backup/tree-reuse.ts). A blob ends after an entry whose path endsTreeBlob, or before an
 * entry that would take it past maxBytes of JSON: the boundaries are content-defined by path, so
 * a snapshot that changes a few files stores new blobs for the stretches around them only, and
 * every other blob deduplicates against its parent's (a new or removed file moves no boundary
 * but its own).
 */
export class TreeBlobSplitter {
  private cur: string[] = [];
  private size = 0;

  constructor(private readonly maxBytes = TREE_BLOB_MAX_BYTES) {}

  get empty(): boolean {
    return this.cur.length === 0;
  }

  /** Add one entry's JSON; returns the blobs it finished (none, or the one it did not fit into and/or the one it ends). */
  add(json: string, path: string): TreeBlobText[] {
    const done: TreeBlobText[] = [];
    if (this.size + json.length > this.maxBytes && this.cur.length) done.push(this.take());
    this.cur.push(json);
    this.size += json.length + 1;
    if (endsTreeBlob(path)) done.push(this.take());
    return done;
  }

  /** The blob of the entries added since the last one ended (possibly none). */
  take(): TreeBlobText {
    const blob = { text: `{"v":1,"entries":[${this.cur.join(',')}]}`, entries: this.cur.length };
    this.cur = [];
    this.size = 0;
    return blob;
  }
}

/** A tree blob as stored: gzip-compressed (level 1: paths and hex ids shrink several times). */
export const compressTreeBlob = (text: string): Buffer => gzipSync(text, { level: 1 });

/** Splits entries into stored blobs as they come (one blob in memory at a time), by TreeBlobSplitter's rule. */
export class TreeBlobEncoder {
  private readonly split: TreeBlobSplitter;
  private blobs = 0;

  constructor(maxBytes?: number) {
    this.split = new TreeBlobSplitter(maxBytes);
  }

  /** True between blobs: the next entry starts one. */
  get empty(): boolean {
    return this.split.empty;
  }

  /** Add one entry; returns the blobs it finished. */
  add(e: TreeEntry): Buffer[] {
    return this.split.add(JSON.stringify(e), e.path).map((b) => this.seal(b.text));
  }

  /** Count a blob the caller holds already (the entries it would have been made of were not added): call it between blobs. */
  skip(): void {
    if (!this.split.empty) throw new Error('a tree blob is skipped only between blobs');
    this.blobs++;
  }

  /** The last blob (a tree of no entries is one empty blob). */
  finish(): Buffer | undefined {
    return !this.split.empty || this.blobs === 0 ? this.seal(this.split.take().text) : undefined;
  }

  private seal(text: string): Buffer {
    this.blobs++;
    return compressTreeBlob(text);
  }
}

export function encodeTreeBlobs(entries: TreeEntry[], maxBytes?: number): Buffer[] {
  const enc = new TreeBlobEncoder(maxBytes);
  const blobs: Buffer[] = [];
  for (const e of entries) {
    blobs.push(...enc.add(e));
  }
  const last = enc.finish();
  if (last) blobs.push(last);
  return blobs;
}

/** A stored tree blob's JSON text: gzip (current) or plain (repositories written before). Throws IntegrityError when it does not inflate within the limit. */
export function decodeTreeBlob(data: Buffer, what: string): string {
  if (!isCompressedTreeBlob(data)) return data.toString('utf8');
  try {
    return gunzipSync(data, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
  } catch (e) {
    const over = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new IntegrityError(`${what}: ${over ? `inflates to more than ${inflateLimitText}` : 'is not valid gzip data'} (stored data is corrupt)`);
  }
}

/** True for a blob stored the way this version stores them (compressTreeBlob), not plain JSON. */
export const isCompressedTreeBlob = (data: Buffer): boolean => data.length > 2 && data[0] === 0x1f && data[1] === 0x8b;
