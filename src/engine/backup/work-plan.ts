import { z } from 'zod';
import { Sha256HexSchema } from '../../common/schema-primitives';
import { S3EndpointSchema } from '../../config/plan-schema';
import { arrayOf, type Fast, fastObject, intIn, literal, withFastPath } from '../../common/fast-schema';
import { FILE_FIELDS, FileEntrySchema, fastTreeEntry, RootMetaSchema, TreeEntrySchema } from '../repo/tree';

/**
 * The work list of one backup, kept in the repository (not in workflow history) so any worker
 * on the task queue can pick up any batch. Every object is a signed document (repo/signed-doc.ts).
 */

export const WorkItemSchema = z.object({
  /** index into the plan's entries */
  entry: z.number().int().min(0),
  /** relative to the source root */
  path: z.string(),
  /** the path's bytes (base64) when they are not UTF-8: see TreeEntrySchema */
  rawPath: z.string().optional(),
  /** the file's size at scan time */
  size: z.number().int().min(0),
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  /** S3 sources: the ETag the scan saw, so a batch reads that version or fails */
  etag: z.string().optional(),
});
export type WorkItem = z.infer<typeof WorkItemSchema>;

/** A file whose chunks the batches produce; `leader` (an entry index) when it is a later hard link of that entry. */
const PendingFileSchema = FileEntrySchema.omit({ chunks: true }).extend({ pending: z.literal(true), leader: z.number().int().min(0).optional() });

/** One entry of the plan: a tree entry (unchanged files carry their reused chunks) or a file the batches read. */
export const PlanEntrySchema = z.union([TreeEntrySchema, PendingFileSchema]);
export type PlanEntry = z.infer<typeof PlanEntrySchema>;

/** PendingFileSchema by hand (common/fast-schema.ts): accepting it means no `chunks`, so TreeEntrySchema would refuse it. */
const fastPendingFile = fastObject<PlanEntry>([
  ...FILE_FIELDS.filter(([name]) => name !== 'chunks'),
  ['pending', literal(true)],
  ['leader', intIn(0), 'optional'],
]);
export const fastPlanEntry: Fast<PlanEntry> = (v) => fastTreeEntry(v) ?? fastPendingFile(v);

const PlanHeader = {
  backupId: z.string(),
  snapshotId: z.string().regex(/^[0-9a-f]{32}$/),
  asset: z.string(),
  source: z.string(),
  /** connection of an s3:// source (env names, never credentials) */
  s3: S3EndpointSchema.optional(),
  host: z.string(),
  tags: z.array(z.string()),
  strategy: z.enum(['full', 'incremental', 'differential']),
  parent: z.string().optional(),
  fullBase: z.string().optional(),
  startedAt: z.string(),
  batches: z.number().int().min(0),
  filesUnchanged: z.number().int(),
  skipped: z.number().int(),
  /** the source folder's own metadata (plans written before lack it) */
  root: RootMetaSchema.optional(),
  /** entries left out because they vanished or could not be read during the scan */
  warnings: z.array(z.string()).optional(),
};

/** The first format: every entry inline (a million files made it one document of hundreds of MiB). Still read. */
const PlanV1Schema = z.object({ v: z.literal(1), ...PlanHeader, entries: z.array(PlanEntrySchema) });

/**
 * The entries live in `pages` signed documents of at most a few thousand entries each
 * (entryPageKey), in tree order, so no step holds the whole tree's metadata at once. The
 * counts let a retried plan step answer without reading the pages.
 */
const PlanV2Schema = z.object({
  v: z.literal(2),
  ...PlanHeader,
  pages: z.number().int().min(0),
  entryCount: z.number().int().min(0),
  files: z.number().int().min(0),
  bytes: z.number().int().min(0),
  filesToRead: z.number().int().min(0),
  bytesToRead: z.number().int().min(0),
  /** entry ranges that encode to a parent's tree blob, in entry order (backup/tree-reuse.ts); plans written before lack it */
  treeReuse: z.array(z.tuple([z.number().int().min(0), z.number().int().min(1), Sha256HexSchema])).optional(),
});

export const BackupPlanSchema = z.discriminatedUnion('v', [PlanV1Schema, PlanV2Schema]);
export type BackupPlan = z.infer<typeof BackupPlanSchema>;
export type PagedBackupPlan = z.infer<typeof PlanV2Schema>;

/** One page of a v2 plan's entries; `first` is the index of its first entry (WorkItem.entry counts across pages). */
export const PlanPageSchema = z.object({ v: z.literal(1), first: z.number().int().min(0), entries: z.array(PlanEntrySchema) });
export const fastPlanPage: Fast<z.infer<typeof PlanPageSchema>> = fastObject([
  ['v', literal(1)],
  ['first', intIn(0)],
  ['entries', arrayOf(fastPlanEntry)],
]);
/** What reads a plan page: PlanPageSchema with its fast path. */
export const PlanPageParser = withFastPath(PlanPageSchema, fastPlanPage);

export const BatchSchema = z.object({
  v: z.literal(1),
  /** the asset the batch backs up (batches written before lack it): its bandwidth limits apply */
  asset: z.string().optional(),
  source: z.string(),
  s3: S3EndpointSchema.optional(),
  items: z.array(WorkItemSchema),
});

export const PartialSchema = z.object({ v: z.literal(1), itemsDone: z.number().int().min(0), chunks: z.array(z.array(Sha256HexSchema)) });

export const BatchResultSchema = z.object({
  v: z.literal(1),
  /** chunk ids of each item, in the batch's item order */
  chunks: z.array(z.array(Sha256HexSchema)),
  stats: z.object({
    filesRead: z.number().int(),
    bytesRead: z.number().int(),
    chunksNew: z.number().int(),
    bytesNew: z.number().int(),
    bytesUploaded: z.number().int(),
    packsWritten: z.number().int(),
  }),
});
export type BatchResult = z.infer<typeof BatchResultSchema>;
