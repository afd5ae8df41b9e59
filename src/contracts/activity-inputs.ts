import { z } from 'zod';
import { BackupInputSchema, RestoreInputSchema } from './inputs';

/**
 * Inputs of the backup and restore activities: the workflows call with these types, the
 * activities parse with these schemas (a worker of another version may still send other data).
 */

const IdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[a-zA-Z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"');
const SnapshotIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 hex characters');

export const PlanBackupInputSchema = BackupInputSchema.extend({ backupId: IdSchema, snapshotId: SnapshotIdSchema });
export type PlanBackupInput = z.input<typeof PlanBackupInputSchema>;
export const BatchRefSchema = z.object({ backupId: IdSchema, batch: z.number().int().min(0) }).strict();
export type BatchRef = z.input<typeof BatchRefSchema>;
export const CommitInputSchema = z.object({ backupId: IdSchema, snapshotId: SnapshotIdSchema.optional() }).strict();
export type CommitInput = z.input<typeof CommitInputSchema>;
export const BackupIdSchema = z.object({ backupId: IdSchema }).strict();
export type BackupIdInput = z.input<typeof BackupIdSchema>;
export const AssetRefSchema = z.object({ asset: IdSchema }).strict();
export type AssetRef = z.input<typeof AssetRefSchema>;
export const AssetFilterSchema = z.object({ asset: IdSchema.optional() }).strict();
export type AssetFilter = z.input<typeof AssetFilterSchema>;

export const PlanRestoreInputSchema = RestoreInputSchema.innerType().innerType().extend({ restoreId: IdSchema });
export type PlanRestoreInput = z.input<typeof PlanRestoreInputSchema>;
export const RestoreBatchRefSchema = z.object({ restoreId: IdSchema, batch: z.number().int().min(0) }).strict();
export type RestoreBatchRef = z.input<typeof RestoreBatchRefSchema>;
export const RestoreIdSchema = z.object({ restoreId: IdSchema }).strict();
export type RestoreIdInput = z.input<typeof RestoreIdSchema>;
export const AbortRestoreInputSchema = z.object({ restoreId: IdSchema, target: z.string().optional() }).strict();
export type AbortRestoreInput = z.input<typeof AbortRestoreInputSchema>;
