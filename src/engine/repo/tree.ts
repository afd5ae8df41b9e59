import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';

/** One node of a snapshot's file tree. Paths are POSIX, relative to the source root. */
export const TreeEntrySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('file'),
    path: z.string().min(1),
    mode: z.number().int().min(0).max(0o7777),
    mtimeNs: z.string().regex(/^\d+$/),
    size: z.number().int().min(0),
    chunks: z.array(z.string().regex(/^[0-9a-f]{64}$/)),
    ino: z.number().optional(),
    ctimeNs: z.string().optional(),
  }),
  z.object({
    type: z.literal('dir'),
    path: z.string().min(1),
    mode: z.number().int().min(0).max(0o7777),
    mtimeNs: z.string().regex(/^\d+$/),
  }),
  z.object({
    type: z.literal('symlink'),
    path: z.string().min(1),
    mode: z.number().int().min(0).max(0o7777),
    mtimeNs: z.string().regex(/^\d+$/),
    target: z.string(),
  }),
]);
export type TreeEntry = z.infer<typeof TreeEntrySchema>;
export type FileEntry = Extract<TreeEntry, { type: 'file' }>;

export const TreeBlobSchema = z.object({ v: z.literal(1), entries: z.array(TreeEntrySchema) });

/**
 * Split entries into blobs of roughly maxBytes of JSON so huge trees never become one giant
 * object; each blob is stored gzip-compressed (level 1: paths and hex ids shrink about 5x).
 */
export function encodeTreeBlobs(entries: TreeEntry[], maxBytes = 4 * 1024 * 1024): Buffer[] {
  const blobs: Buffer[] = [];
  let cur: string[] = [];
  let size = 0;
  const flush = () => {
    blobs.push(gzipSync(`{"v":1,"entries":[${cur.join(',')}]}`, { level: 1 }));
    cur = [];
    size = 0;
  };
  for (const e of entries) {
    const s = JSON.stringify(e);
    if (size + s.length > maxBytes && cur.length) flush();
    cur.push(s);
    size += s.length + 1;
  }
  if (cur.length || blobs.length === 0) flush();
  return blobs;
}

/** A stored tree blob's JSON text: gzip (current) or plain (repositories written before). */
export function decodeTreeBlob(data: Buffer): string {
  return (data.length > 2 && data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data).toString('utf8');
}
