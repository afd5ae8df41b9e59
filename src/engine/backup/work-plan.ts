import { z } from 'zod';
import { backupTmpPrefix } from '../repo/layout';
import { TreeEntrySchema } from '../repo/tree';

/**
 * The work list of one backup, kept in the repository (not in workflow history) so any worker
 * on the task queue can pick up any batch. Every object is a signed document (repo/signed-doc.ts).
 */
const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const WorkItemSchema = z.object({
  /** index into the plan's entries */
  entry: z.number().int().min(0),
  /** relative to the source root */
  path: z.string(),
  /** the file's size at scan time */
  size: z.number().int().min(0),
  start: z.number().int().min(0),
  end: z.number().int().min(0),
});
export type WorkItem = z.infer<typeof WorkItemSchema>;

export const BackupPlanSchema = z.object({
  v: z.literal(1),
  backupId: z.string(),
  snapshotId: z.string().regex(/^[0-9a-f]{32}$/),
  asset: z.string(),
  source: z.string(),
  host: z.string(),
  tags: z.array(z.string()),
  strategy: z.enum(['full', 'incremental', 'differential']),
  parent: z.string().optional(),
  fullBase: z.string().optional(),
  startedAt: z.string(),
  entries: z.array(z.union([TreeEntrySchema, z.object({ type: z.literal('file'), path: z.string(), mode: z.number(), mtimeNs: z.string(), size: z.number(), ino: z.number(), ctimeNs: z.string(), pending: z.literal(true) })])),
  batches: z.number().int().min(0),
  filesUnchanged: z.number().int(),
  skipped: z.number().int(),
});
export type BackupPlan = z.infer<typeof BackupPlanSchema>;

export const BatchSchema = z.object({ v: z.literal(1), source: z.string(), items: z.array(WorkItemSchema) });

export const PartialSchema = z.object({ v: z.literal(1), itemsDone: z.number().int().min(0), chunks: z.array(z.array(Hex64)) });

export const BatchResultSchema = z.object({
  v: z.literal(1),
  /** chunk ids of each item, in the batch's item order */
  chunks: z.array(z.array(Hex64)),
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

export const planKey = (backupId: string) => `${backupTmpPrefix(backupId)}plan.json`;
export const batchKey = (backupId: string, n: number) => `${backupTmpPrefix(backupId)}batch-${String(n).padStart(5, '0')}.json`;
export const resultKey = (backupId: string, n: number) => `${backupTmpPrefix(backupId)}result-${String(n).padStart(5, '0')}.json`;
export const partialKey = (backupId: string, n: number) => `${backupTmpPrefix(backupId)}partial-${String(n).padStart(5, '0')}.json`;
