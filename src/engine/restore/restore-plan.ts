import { z } from 'zod';
import { arrayOf, type Fast, type Field, intIn, literal, matching, str, strippedObject, stringRecord, withFastPath } from '../../common/fast-schema';
import { Sha256HexSchema, SHA256_HEX_PATTERN } from '../../common/schema-primitives';
import { RootMetaSchema, TreeEntrySchema } from '../repo/tree';

const PathRef = { path: z.string(), rawPath: z.string().optional() };

/** One file to write; path fields as in TreeEntrySchema. */
export const RestoreItemSchema = z.object({
  ...PathRef,
  size: z.number().int().min(0),
  mode: z.number().int(),
  uid: z.number().int().optional(),
  gid: z.number().int().optional(),
  mtimeNs: z.string(),
  xattrs: z.record(z.string()).optional(),
  chunks: z.array(Sha256HexSchema),
});
export type RestoreItem = z.infer<typeof RestoreItemSchema>;

/** What the finish step reads back of a batch's files: chunk lists and the rest are not parsed again. */
export const FinishBatchSchema = z.object({ items: z.array(RestoreItemSchema.pick({ path: true, rawPath: true, mtimeNs: true, xattrs: true })) });
export type FinishItem = z.infer<typeof FinishBatchSchema>['items'][number];

/*
 * The batch schemas by hand (common/fast-schema.ts): a batch holds thousands of items, and zod
 * took 0.1-0.2 s to read 5000. test/unit/fast-schema.test.ts holds both to the same answers.
 */
const INT = intIn(-Infinity);
const ITEM_FIELDS: Field[] = [
  ['path', str],
  ['rawPath', str, 'optional'],
  ['size', intIn(0)],
  ['mode', INT],
  ['uid', INT, 'optional'],
  ['gid', INT, 'optional'],
  ['mtimeNs', str],
  ['xattrs', stringRecord, 'optional'],
  ['chunks', arrayOf(matching(SHA256_HEX_PATTERN))],
];
const FINISH_FIELDS = new Set(['path', 'rawPath', 'mtimeNs', 'xattrs']);
export const fastFinishBatch: Fast<z.infer<typeof FinishBatchSchema>> = strippedObject([
  ['items', arrayOf(strippedObject(ITEM_FIELDS.filter(([name]) => FINISH_FIELDS.has(name))))],
]);
/** What the finish step reads of a batch: FinishBatchSchema with its fast path. */
export const FinishBatchParser = withFastPath(FinishBatchSchema, fastFinishBatch);

export const RestorePlanSchema = z.object({
  v: z.literal(1),
  restoreId: z.string(),
  snapshotId: z.string(),
  target: z.string(),
  staging: z.string(),
  /** dirs, symlinks, FIFOs and devices, created by the finish step */
  others: z.array(TreeEntrySchema),
  /** later members of hard-link groups: linked to their leader (a file of some batch) by the finish step */
  hardlinks: z.array(z.object({ ...PathRef, leader: z.object(PathRef) })).optional(),
  /** metadata for the restored folder itself (snapshots before it lack it) */
  root: RootMetaSchema.optional(),
  batches: z.number().int().min(0),
  files: z.number().int(),
  bytes: z.number().int(),
});
export type RestorePlan = z.infer<typeof RestorePlanSchema>;

export const RestoreBatchSchema = z.object({
  v: z.literal(1),
  staging: z.string(),
  snapshotId: z.string(),
  /** the snapshot's asset, whose limits the batch's bytes pass (batches planned before it was recorded: the repository's only) */
  asset: z.string().optional(),
  items: z.array(RestoreItemSchema),
});
export const fastRestoreBatch: Fast<z.infer<typeof RestoreBatchSchema>> = strippedObject([
  ['v', literal(1)],
  ['staging', str],
  ['snapshotId', str],
  ['asset', str, 'optional'],
  ['items', arrayOf(strippedObject(ITEM_FIELDS))],
]);
/** What reads a restore batch: RestoreBatchSchema with its fast path. */
export const RestoreBatchParser = withFastPath(RestoreBatchSchema, fastRestoreBatch);
