import { z } from 'zod';
import type { CopyReport } from '../engine/copy/copy-snapshot';
import { nameSchema } from '../common/schema-primitives';

/** A snapshot id or a unique prefix of one (4 to 32 hex characters). */
export const SnapshotRefSchema = z.string().regex(/^[0-9a-f]{4,32}$/, 'must be a snapshot id or prefix (4 to 32 hex characters)');

/**
 * What `copyWorkflow` is given: a copy target's NAME from the worker's plan (never an endpoint
 * or credentials) and which snapshots. `latest`: the newest of each asset (or of `asset`);
 * `all-missing`: every snapshot the target lacks (what a schedule runs).
 */
export const CopyInputSchema = z
  .object({
    target: nameSchema('must name a copy target of the plan (copyTargets)'),
    snapshots: z
      .union([z.literal('latest'), z.literal('all-missing'), z.array(SnapshotRefSchema).min(1, 'must name at least one snapshot').max(1000)])
      .default('all-missing'),
    asset: nameSchema().optional(),
  })
  .strict()
  .refine((i) => !(i.asset && Array.isArray(i.snapshots)), {
    message: 'is only for "latest" or "all-missing" (ids name snapshots of any asset)',
    path: ['asset'],
  });
export type CopyInput = z.infer<typeof CopyInputSchema>;

/** One snapshot copied (or found already there): counts only, no data. */
export type CopyStep = CopyReport;

export interface CopyResult {
  target: string;
  steps: CopyStep[];
  summary: string;
}
