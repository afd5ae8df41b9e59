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

/** About one path in this many ends a tree blob (see encodeTreeBlobs). */
export const TREE_BLOB_ENTRIES = 64;

/** FNV-1a of a path: where a tree blob ends depends on the paths alone. */
function pathHash(p: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Splits entries into blobs as they come (one blob in memory at a time), each stored gzip-compressed (level 1: paths and hex ids shrink
 * several times). A blob ends after an entry whose path hashes to a multiple of
 * TREE_BLOB_ENTRIES, or before it would pass maxBytes of JSON: the boundaries are content-defined
 * by path, so a snapshot that changes a few files stores new blobs for the stretches around them
 * only, and every other blob deduplicates against its parent's (a new or removed file moves no
 * boundary but its own).
 */
export class TreeBlobEncoder {
  private cur: string[] = [];
  private size = 0;
  private blobs = 0;

  constructor(private readonly maxBytes = 4 * 1024 * 1024) {}

  /** Add one entry; returns the blobs it finished (none, or the one it did not fit into and/or the one it ends). */
  add(e: TreeEntry): Buffer[] {
    const s = JSON.stringify(e);
    const done: Buffer[] = [];
    if (this.size + s.length > this.maxBytes && this.cur.length) done.push(this.flush());
    this.cur.push(s);
    this.size += s.length + 1;
    if (pathHash(e.path) % TREE_BLOB_ENTRIES === 0) done.push(this.flush());
    return done;
  }

  /** The last blob (a tree of no entries is one empty blob). */
  finish(): Buffer | undefined {
    return this.cur.length || this.blobs === 0 ? this.flush() : undefined;
  }

  private flush(): Buffer {
    const blob = gzipSync(`{"v":1,"entries":[${this.cur.join(',')}]}`, { level: 1 });
    this.cur = [];
    this.size = 0;
    this.blobs++;
    return blob;
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
  if (!(data.length > 2 && data[0] === 0x1f && data[1] === 0x8b)) return data.toString('utf8');
  try {
    return gunzipSync(data, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
  } catch (e) {
    const over = (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new IntegrityError(`${what}: ${over ? `inflates to more than ${inflateLimitText}` : 'is not valid gzip data'} (stored data is corrupt)`);
  }
}
