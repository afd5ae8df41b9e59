import { z } from 'zod';
import { nameSchema } from '../common/schema-primitives';
import type { RepositoryStats } from '../engine/maintenance/stats';

/** Inputs of the maintenance workflows (prune, verify) and of their activities. Pure zod, safe in the workflow sandbox. */

export const PruneInputSchema = z
  .object({
    /** apply every asset's retention policy (forget) before pruning */
    forget: z.boolean().default(true),
    /** hours a pack stays marked before deletion; protects backups running meanwhile */
    graceHours: z.number().min(0).max(8760).default(24),
    dryRun: z.boolean().default(false),
  })
  .strict();
export type PruneInput = z.input<typeof PruneInputSchema>;

export const VerifyInputSchema = z.object({ readData: z.number().min(0).max(1).default(0.1) }).strict();
export type VerifyInput = z.input<typeof VerifyInputSchema>;

export const PruneRepositoryInputSchema = z
  .object({
    graceHours: z
      .number()
      .min(0)
      .max(24 * 365),
    dryRun: z.boolean(),
  })
  .strict();
export type PruneRepositoryInput = z.input<typeof PruneRepositoryInputSchema>;
export const VerifyRepositoryInputSchema = z.object({ readData: z.number().min(0).max(1) }).strict();
export type VerifyRepositoryInput = z.input<typeof VerifyRepositoryInputSchema>;
export const ForgetInputSchema = z.object({ asset: z.string().min(1).optional(), dryRun: z.boolean() }).strict();
export type ForgetInput = z.input<typeof ForgetInputSchema>;

export const StatsInputSchema = z.object({ asset: nameSchema('must name an asset set').optional() }).strict();
export type StatsInput = z.input<typeof StatsInputSchema>;
/** What the repositoryStats activity measures (growth rows beyond STATS_GROWTH_ROWS are counted, not listed). */
export type RepositoryStatsReport = RepositoryStats & { growthOmitted: number };
export type StatsResult = RepositoryStatsReport & { summary: string };
/** Growth rows kept in a workflow result: the newest ones (a history is not a bulk store). */
export const STATS_GROWTH_ROWS = 200;
