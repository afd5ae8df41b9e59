import { z } from 'zod';
import { formatIssues, nameSchema, S3_URL_PATTERN } from '../common/schema-primitives';

/**
 * Inputs of the workflows an operator starts from the Temporal UI, a Schedule or the CLI.
 * Pure zod, safe in the workflow sandbox. Everything is a reference: names, paths, ids.
 */
const AssetNameSchema = nameSchema('is required (the asset set to back up, e.g. "checkpoints")');

/** Absolute and plain: no "." or ".." segments to hide where it points (the worker checks it against the plan's roots). */
const AbsolutePathSchema = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/'), 'must be an absolute path')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain "." or ".." segments')
  .refine((p) => p.replace(/\/+/g, '/') !== '/', 'must not be the root folder');

/** A folder (absolute, plain) or an S3 prefix s3://bucket/prefix (never a whole bucket); the worker checks it against the plan's roots. */
export const RestoreTargetSchema = z
  .string()
  .min(1)
  .max(4096)
  .superRefine((t, ctx) => {
    if (!t.startsWith('s3://')) {
      const r = AbsolutePathSchema.safeParse(t);
      if (!r.success) ctx.addIssue({ code: 'custom', message: `${r.error.issues[0].message} (or s3://bucket/prefix)` });
      return;
    }
    if (!S3_URL_PATTERN.test(t)) ctx.addIssue({ code: 'custom', message: 'must be s3://bucket/prefix with a valid bucket name' });
    else if (!/^s3:\/\/[^/]+\/+[^/]/.test(t))
      ctx.addIssue({ code: 'custom', message: 'must name a prefix (s3://bucket/prefix): a restore replaces its target, never a whole bucket' });
    else if (
      t
        .split('/')
        .slice(3)
        .some((s) => s === '.' || s === '..')
    )
      ctx.addIssue({ code: 'custom', message: 'must not contain "." or ".." segments' });
  });

export const BackupInputSchema = z
  .object({
    asset: AssetNameSchema,
    /** ad-hoc backups (asset not in the plan file) name their source folder */
    source: AbsolutePathSchema.optional(),
    strategy: z.enum(['full', 'incremental', 'differential']).optional(),
    tags: z.array(z.string().min(1).max(64)).max(32).optional(),
    include: z.array(z.string().min(1)).optional(),
    exclude: z.array(z.string().min(1)).optional(),
    /** apply the asset's retention policy after the backup */
    applyRetention: z.boolean().optional(),
    /** why this backup runs (operator, schedule, prediction loop) */
    reason: z.string().max(200).optional(),
  })
  .strict();
export type BackupInput = z.infer<typeof BackupInputSchema>;

const SnapshotRefSchema = z.string().refine((s) => s === 'latest' || /^[0-9a-f]{4,32}$/.test(s), 'must be "latest" or a snapshot id (4 to 32 hex characters)');

export const RestoreInputSchema = z
  .object({
    asset: AssetNameSchema.optional(),
    snapshot: SnapshotRefSchema.default('latest'),
    /** latest snapshot taken at or before this time (ISO 8601) */
    before: z.string().datetime({ offset: true, message: 'must be an ISO 8601 time such as 2026-11-27T10:00:00Z' }).optional(),
    target: RestoreTargetSchema,
    paths: z.array(z.string().min(1)).max(1000).optional(),
  })
  .strict()
  .refine((r) => r.snapshot !== 'latest' || r.asset, { message: 'give "asset" when restoring the latest snapshot', path: ['asset'] })
  .refine((r) => !(r.before && r.snapshot !== 'latest'), { message: '"before" goes with snapshot "latest", not an id', path: ['before'] });
export type RestoreInput = z.input<typeof RestoreInputSchema>;

export const ListSnapshotsInputSchema = z.object({ asset: AssetNameSchema.optional() }).strict();
export type ListSnapshotsInput = z.infer<typeof ListSnapshotsInputSchema>;

export { formatIssues };
