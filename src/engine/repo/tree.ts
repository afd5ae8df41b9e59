import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';

const ModeSchema = z.number().int().min(0).max(0o7777);
const NsSchema = z.string().regex(/^\d+$/);
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
  chunks: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
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

/**
 * Splits entries into blobs of roughly maxBytes of JSON as they come, so huge trees never become
 * one giant object or string; each blob is stored gzip-compressed (level 1: paths and hex ids
 * shrink about 5x). The same entries always split at the same places, so an unchanged tree
 * encodes to identical, deduplicated blobs.
 */
export class TreeBlobEncoder {
  private cur: string[] = [];
  private size = 0;
  private blobs = 0;

  constructor(private readonly maxBytes = 4 * 1024 * 1024) {}

  /** Add one entry; returns a finished blob when this entry did not fit into the current one. */
  add(e: TreeEntry): Buffer | undefined {
    const s = JSON.stringify(e);
    const full = this.size + s.length > this.maxBytes && this.cur.length ? this.flush() : undefined;
    this.cur.push(s);
    this.size += s.length + 1;
    return full;
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
    const b = enc.add(e);
    if (b) blobs.push(b);
  }
  const last = enc.finish();
  if (last) blobs.push(last);
  return blobs;
}

/** A stored tree blob's JSON text: gzip (current) or plain (repositories written before). */
export function decodeTreeBlob(data: Buffer): string {
  return (data.length > 2 && data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data).toString('utf8');
}
