import { z } from 'zod';
import { Sha256HexSchema } from '../../common/schema-primitives';
import { IntegrityError } from '../../common/errors';
import { verifySignature, sign } from './keys';
import { RootMetaSchema } from './tree';

export const SnapshotStatsSchema = z.object({
  files: z.number().int(),
  dirs: z.number().int(),
  symlinks: z.number().int(),
  bytes: z.number().int(),
  filesRead: z.number().int(),
  bytesRead: z.number().int(),
  filesUnchanged: z.number().int(),
  chunksNew: z.number().int(),
  bytesNew: z.number().int(),
  bytesUploaded: z.number().int(),
  packsWritten: z.number().int(),
  skipped: z.number().int(),
  /** FIFOs and device nodes (snapshots before them lack the count) */
  specials: z.number().int().optional(),
  /** entries left out because they vanished or could not be read during the scan */
  warnings: z.number().int().optional(),
});
export type SnapshotStats = z.infer<typeof SnapshotStatsSchema>;

export const SnapshotManifestSchema = z.object({
  v: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  time: z.string().datetime(),
  host: z.string(),
  asset: z.string(),
  source: z.string(),
  tags: z.array(z.string()),
  strategy: z.enum(['full', 'incremental', 'differential']),
  parent: z.string().optional(),
  /** the full snapshot a differential or full chain hangs from (itself for a full) */
  fullBase: z.string().optional(),
  tree: z.array(Sha256HexSchema),
  /** mode, owner, mtime, xattrs of the source folder itself: applied to the restored root */
  root: RootMetaSchema.optional(),
  stats: SnapshotStatsSchema,
});
export type SnapshotManifest = z.infer<typeof SnapshotManifestSchema>;

const EnvelopeSchema = z.object({ body: z.string(), sig: z.string().regex(/^[0-9a-f]{64}$/) });

/** The manifest travels as its exact JSON text plus an HMAC over that text. */
export function encodeManifest(m: SnapshotManifest, key: Buffer): Buffer {
  const body = JSON.stringify(m);
  return Buffer.from(JSON.stringify({ body, sig: sign(key, body) }));
}

export function decodeManifest(raw: Buffer, key: Buffer, name: string): SnapshotManifest {
  let env: z.infer<typeof EnvelopeSchema>;
  try {
    env = EnvelopeSchema.parse(JSON.parse(raw.toString('utf8')));
  } catch {
    throw new IntegrityError(`snapshot ${name}: manifest is malformed`);
  }
  if (!verifySignature(key, env.body, env.sig)) {
    throw new IntegrityError(`snapshot ${name}: signature does not match (manifest tampered with, or wrong repository key)`);
  }
  const r = SnapshotManifestSchema.safeParse(JSON.parse(env.body));
  if (!r.success) throw new IntegrityError(`snapshot ${name}: signed manifest has an unexpected shape`);
  if (r.data.id !== name) throw new IntegrityError(`snapshot ${name}: manifest names a different id (${r.data.id})`);
  return r.data;
}
