import { z } from 'zod';
import { restoreTmpPrefix } from '../repo/layout';
import { TreeEntrySchema } from '../repo/tree';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const RestoreItemSchema = z.object({
  path: z.string(),
  size: z.number().int().min(0),
  mode: z.number().int(),
  mtimeNs: z.string(),
  chunks: z.array(Hex64),
});
export type RestoreItem = z.infer<typeof RestoreItemSchema>;

export const RestorePlanSchema = z.object({
  v: z.literal(1),
  restoreId: z.string(),
  snapshotId: z.string(),
  target: z.string(),
  staging: z.string(),
  /** dirs and symlinks, created by the finish step */
  others: z.array(TreeEntrySchema),
  batches: z.number().int().min(0),
  files: z.number().int(),
  bytes: z.number().int(),
});
export type RestorePlan = z.infer<typeof RestorePlanSchema>;

export const RestoreBatchSchema = z.object({ v: z.literal(1), staging: z.string(), snapshotId: z.string(), items: z.array(RestoreItemSchema) });

export const restorePlanKey = (id: string) => `${restoreTmpPrefix(id)}plan.json`;
export const restoreBatchKey = (id: string, n: number) => `${restoreTmpPrefix(id)}batch-${String(n).padStart(5, '0')}.json`;
export const restoreDoneKey = (id: string) => `${restoreTmpPrefix(id)}done.json`;
