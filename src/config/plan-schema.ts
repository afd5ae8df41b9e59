import { z } from 'zod';
import { DURATION_PATTERN, NameSchema } from '../common/schema-primitives';

export { NameSchema };

export const StrategySchema = z.enum(['full', 'incremental', 'differential']);
export type Strategy = z.infer<typeof StrategySchema>;

const DurationStringSchema = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration like "90s", "15m", "1h" or "7d"');

export const ScheduleSchema = z
  .object({
    every: DurationStringSchema.optional(),
    cron: z.string().min(9).optional(),
    overlap: z.enum(['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all']).default('skip'),
    catchupWindow: DurationStringSchema.default('1h'),
    paused: z.boolean().default(false),
  })
  .strict()
  .refine((s) => Boolean(s.every) !== Boolean(s.cron), { message: 'give exactly one of "every" or "cron"' });
export type Schedule = z.infer<typeof ScheduleSchema>;

export const RetentionSchema = z
  .object({
    keepLast: z.number().int().positive().optional(),
    keepHourly: z.number().int().positive().optional(),
    keepDaily: z.number().int().positive().optional(),
    keepWeekly: z.number().int().positive().optional(),
    keepMonthly: z.number().int().positive().optional(),
    keepYearly: z.number().int().positive().optional(),
    keepTags: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type Retention = z.infer<typeof RetentionSchema>;

export const AssetSchema = z
  .object({
    name: NameSchema,
    source: z.string().min(1, 'must be a directory path'),
    include: z.array(z.string().min(1)).default([]),
    exclude: z.array(z.string().min(1)).default([]),
    schedule: ScheduleSchema.optional(),
    strategy: StrategySchema.default('incremental'),
    /** differential/full cadence helper: every Nth scheduled run is a full. 0 = never. */
    fullEvery: z.number().int().min(0).default(0),
    tags: z.array(z.string().min(1).max(64)).default([]),
    retention: RetentionSchema.optional(),
  })
  .strict();
export type Asset = z.infer<typeof AssetSchema>;

export const RepositorySchema = z
  .object({
    /** s3://bucket/prefix or file:///absolute/path */
    url: z
      .string()
      .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,62}(\/.*)?|file:\/\/\/.+)$/, 'must be "s3://bucket[/prefix]" or "file:///absolute/path"'),
    endpoint: z.string().url().optional(),
    region: z.string().min(1).default('us-east-1'),
    pathStyle: z.boolean().default(true),
    /** File holding the repository's HMAC key (hex). Created on first init if missing. */
    keyFile: z.string().min(1).optional(),
    /** Name of an env var holding the key (hex); wins over keyFile. */
    keyEnv: z.string().min(1).optional(),
    packSizeMiB: z.number().int().min(4).max(128).default(32),
    /** Encryption at rest: a new repository with a password is encrypted (AES-256-GCM per blob). */
    passwordEnv: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
    /** the smallest prune grace period accepted from any caller (backups running meanwhile rely on it) */
    pruneMinGraceHours: z.number().min(0).max(8760).default(1),
  })
  .strict();
export type RepositoryConfig = z.infer<typeof RepositorySchema>;

export const TemporalSchema = z
  .object({
    address: z.string().min(1).default('127.0.0.1:7233'),
    namespace: z.string().min(1).default('default'),
    taskQueue: z.string().min(1).default('lepton-dr'),
  })
  .strict();
export type TemporalConfig = z.infer<typeof TemporalSchema>;

/**
 * Where workflow starters may point a worker: ad-hoc backup sources under `sources`, restore
 * targets under `targets` (relative to the plan file). Sites' declared targets are allowed too.
 */
export const RootsSchema = z
  .object({
    sources: z.array(z.string().min(1)).default([]),
    targets: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const PlanSchema = z
  .object({
    version: z.literal(1).default(1),
    repository: RepositorySchema,
    temporal: TemporalSchema.default({}),
    assets: z.array(AssetSchema).default([]),
    roots: RootsSchema.default({}),
    /** Sites (prediction and failover) are defined by their own modules' schemas; failover/plan-sites.ts parses them at load. */
    sites: z.array(z.record(z.unknown())).default([]),
    /** Set by the loader (never read from the file): the plan file's folder; relative paths resolve against it. */
    baseDir: z.string().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.assets.forEach((a, i) => {
      if (seen.has(a.name)) ctx.addIssue({ code: 'custom', path: ['assets', i, 'name'], message: `duplicate asset name "${a.name}"` });
      seen.add(a.name);
    });
  });
export type Plan = z.infer<typeof PlanSchema>;
