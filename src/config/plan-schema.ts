import { z } from 'zod';

const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
import { sameEndpoint } from '../common/s3-endpoint';
import { DURATION_PATTERN, NameSchema, parseDurationMs, S3_URL_PATTERN } from '../common/schema-primitives';
import { ActionSchema } from './action-schema';
import { CompressionSchema } from '../engine/repo/blob-compression';
import { DEFAULT_PACK_SIZE_MIB } from '../engine/repo/pack';
import { AssetLimitsSchema, RepositoryLimitsSchema } from './limits-schema';

export { NameSchema };

export const StrategySchema = z.enum(['full', 'incremental', 'differential']);
export type Strategy = z.infer<typeof StrategySchema>;

const DurationStringSchema = z.string().regex(DURATION_PATTERN, 'must be a duration like "90s", "15m", "1h" or "7d"');

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

/**
 * Actions around an asset's runs, taken from the worker's plan only (a workflow names the asset,
 * never the action). A failing preBackup aborts the backup; postBackup and postRestore always run
 * and are told the outcome (success, failure or cancelled).
 */
export const AssetHooksSchema = z
  .object({
    preBackup: ActionSchema.optional(),
    postBackup: ActionSchema.optional(),
    postRestore: ActionSchema.optional(),
  })
  .strict();
export type AssetHooks = z.infer<typeof AssetHooksSchema>;
export type HookName = keyof AssetHooks;

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable of the worker');

/**
 * Where an S3-prefix source (or restore target) lives. Credentials are named by environment
 * variable of the worker, never given as values; without them the repository's rule applies
 * (AWS_* variables, the SDK chain, the local stack's key).
 */
export const S3EndpointSchema = z
  .object({
    endpoint: z.string().url('must be an http(s) URL').optional(),
    region: z.string().min(1).default('us-east-1'),
    pathStyle: z.boolean().default(true),
    accessKeyIdEnv: EnvName.optional(),
    secretAccessKeyEnv: EnvName.optional(),
    sessionTokenEnv: EnvName.optional(),
  })
  .strict()
  .refine((c) => !c.accessKeyIdEnv === !c.secretAccessKeyEnv, { message: 'accessKeyIdEnv and secretAccessKeyEnv go together', path: ['secretAccessKeyEnv'] });
export type S3Endpoint = z.infer<typeof S3EndpointSchema>;

/**
 * How one backup of an asset is cut into batch activities, each a unit any worker on the task
 * queue may take: a batch closes at `files` files or `mib` MiB to read, whichever comes first
 * (engine defaults 5000 files, 256 MiB). Smaller batches spread one backup over more workers.
 */
export const BackupBatchSchema = z
  .object({
    files: z.number().int('must be a whole number of files').min(1, 'must be at least 1 file').max(100_000, 'must be at most 100000 files').optional(),
    mib: z.number().int('must be a whole number of MiB').min(1, 'must be at least 1 MiB').max(4096, 'must be at most 4096 MiB').optional(),
  })
  .strict();
export type BackupBatch = z.infer<typeof BackupBatchSchema>;

export const AssetSchema = z
  .object({
    name: NameSchema,
    source: z.string().min(1, 'must be a directory path or s3://bucket/prefix'),
    /** connection of an s3:// source */
    s3: S3EndpointSchema.optional(),
    include: z.array(z.string().min(1)).default([]),
    exclude: z.array(z.string().min(1)).default([]),
    schedule: ScheduleSchema.optional(),
    strategy: StrategySchema.default('incremental'),
    /** differential/full cadence helper: every Nth scheduled run is a full. 0 = never. */
    fullEvery: z.number().int().min(0).default(0),
    tags: z.array(z.string().min(1).max(64)).default([]),
    retention: RetentionSchema.optional(),
    hooks: AssetHooksSchema.optional(),
    /** bandwidth of this asset's backups, within the repository's limits */
    limits: AssetLimitsSchema.optional(),
    /** how a backup of this asset is cut into batches */
    batch: BackupBatchSchema.optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const s3 = a.source.startsWith('s3://');
    if (s3 && !S3_URL_PATTERN.test(a.source))
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'must be s3://bucket[/prefix] with a valid bucket name' });
    if (a.s3 && !s3) ctx.addIssue({ code: 'custom', path: ['s3'], message: 'only for a source of the form s3://bucket/prefix' });
  });
export type Asset = z.infer<typeof AssetSchema>;

/** Per-GiB monthly prices for `stats` cost estimates; a class applies to keys under its prefix ("data/", "index/"). */
export const PricingSchema = z
  .object({
    storagePerGbMonth: z.number().min(0, 'must be a price (0 or more) per GiB-month'),
    classes: z.record(z.string().min(1), z.number().min(0, 'must be a price (0 or more) per GiB-month')).optional(),
  })
  .strict();

/**
 * S3 Object Lock for what a backup writes that must survive (packs, indexes, snapshots, config,
 * keys): each is written with this retention; prune deletes nothing before it ends. The bucket
 * needs Object Lock enabled (which turns versioning on).
 */
export const ImmutabilitySchema = z
  .object({
    retention: DurationStringSchema.refine((v) => (parseDurationMs(v) ?? 0) >= 1000, 'must be at least "1s"'),
    /** compliance: nobody can shorten or lift the lock; governance: a principal with s3:BypassGovernanceRetention can */
    mode: z.enum(['governance', 'compliance']).default('compliance'),
  })
  .strict();
export type Immutability = z.infer<typeof ImmutabilitySchema>;

/** Prune repacks packs less live than this unless the plan says otherwise. */
export const DEFAULT_REPACK_BELOW = 0.2;

const RepositoryFields = z
  .object({
    /** s3://bucket/prefix or file:///absolute/path */
    url: z.string().regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,62}(\/.*)?|file:\/\/\/.+)$/, 'must be "s3://bucket[/prefix]" or "file:///absolute/path"'),
    endpoint: z.string().url().optional(),
    region: z.string().min(1).default('us-east-1'),
    pathStyle: z.boolean().default(true),
    /** File holding the repository's HMAC key (hex). Created on first init if missing. */
    keyFile: z.string().min(1).optional(),
    /** Name of an env var holding the key (hex); wins over keyFile. */
    keyEnv: z.string().min(1).optional(),
    packSizeMiB: z.number().int().min(4).max(128).default(DEFAULT_PACK_SIZE_MIB),
    /**
     * zstd per blob for what this plan writes: off, auto (skips incompressible blobs) or max.
     * Unset: the repository's own setting (auto for a new repository, off for one made before).
     */
    compression: CompressionSchema.optional(),
    /** Encryption at rest: a new repository with a password is encrypted (AES-256-GCM per blob). */
    passwordEnv: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
    /** the smallest prune grace period accepted from any caller (backups running meanwhile rely on it) */
    pruneMinGraceHours: z.number().min(0).max(8760).default(1),
    /** prune rewrites packs whose live fraction is below this (their live blobs are copied, the packs deleted after the grace); 0 = never */
    repackBelow: z.number().min(0, 'must be a fraction from 0 to 1').max(1, 'must be a fraction from 0 to 1').default(DEFAULT_REPACK_BELOW),
    /** storage prices for the cost estimate of `lepton-dr stats` */
    pricing: PricingSchema.optional(),
    /** write the objects that must survive with S3 Object Lock retention (s3:// repositories only) */
    immutability: ImmutabilitySchema.optional(),
    /** this worker's credential may write but not delete: backups leave every deletion to a prune run elsewhere */
    appendOnly: z.boolean().optional(),
    /** bandwidth and requests in flight one worker process may use for this repository (limits-schema.ts) */
    limits: RepositoryLimitsSchema.optional(),
  })
  .strict();
const lockNeedsS3 = (r: { url: string; immutability?: Immutability }): boolean => !r.immutability || r.url.startsWith('s3://');
const LOCK_NEEDS_S3 = { message: 'needs an s3:// repository on a bucket with Object Lock enabled', path: ['immutability'] };
export const RepositorySchema = RepositoryFields.refine(lockNeedsS3, LOCK_NEEDS_S3);
export type RepositoryConfig = z.infer<typeof RepositorySchema>;

/**
 * A second repository `lepton-dr copy` writes to (another endpoint or region). Its S3
 * credentials are named by environment variable (never written in the plan); unset, the
 * standard SDK chain applies as for the main repository. Key and password as for it.
 */
export const CopyTargetSchema = RepositoryFields.extend({
  name: NameSchema,
  accessKeyIdEnv: z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name').optional(),
  secretAccessKeyEnv: z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name').optional(),
  sessionTokenEnv: z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name').optional(),
})
  .strict()
  .refine((t) => Boolean(t.accessKeyIdEnv) === Boolean(t.secretAccessKeyEnv), {
    message: 'give both "accessKeyIdEnv" and "secretAccessKeyEnv", or neither',
    path: ['secretAccessKeyEnv'],
  })
  .refine(lockNeedsS3, LOCK_NEEDS_S3);
export type CopyTarget = z.infer<typeof CopyTargetSchema>;

/** TLS to the Temporal frontend: files are PEM; a client cert and key together make it mTLS. */
export const TemporalTlsSchema = z
  .object({
    /** CA that signed the server's certificate (default: the system roots). */
    serverCaFile: z.string().min(1).optional(),
    clientCertFile: z.string().min(1).optional(),
    clientKeyFile: z.string().min(1).optional(),
    /** Name expected in the server's certificate when it differs from the address host. */
    serverName: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.clientCertFile && !t.clientKeyFile)
      ctx.addIssue({ code: 'custom', path: ['clientKeyFile'], message: 'is required with clientCertFile (mTLS needs both)' });
    if (t.clientKeyFile && !t.clientCertFile)
      ctx.addIssue({ code: 'custom', path: ['clientCertFile'], message: 'is required with clientKeyFile (mTLS needs both)' });
  });
export type TemporalTls = z.infer<typeof TemporalTlsSchema>;

export const TemporalSchema = z
  .object({
    address: z.string().min(1).default('127.0.0.1:7233'),
    namespace: z.string().min(1).default('default'),
    taskQueue: z.string().min(1).default('lepton-dr'),
    /** false: plaintext; true: TLS with the system roots; an object: custom CA, mTLS, server name. Default: TLS when an API key is set. */
    tls: z.union([z.boolean(), TemporalTlsSchema]).optional(),
    /** Temporal Cloud style API key (sent as a bearer token): the name of the env var holding it, or a file. */
    apiKeyEnv: z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name').optional(),
    apiKeyFile: z.string().min(1).optional(),
  })
  .strict()
  .refine((t) => !(t.apiKeyEnv && t.apiKeyFile), { message: 'give at most one of "apiKeyEnv" or "apiKeyFile"', path: ['apiKeyFile'] });
export type TemporalConfig = z.infer<typeof TemporalSchema>;

/**
 * An S3 prefix restore targets may lie under, with the connection that reaches it (as an
 * asset's `s3`): a workflow starter names a target url, never an endpoint or credentials.
 */
export const S3RootSchema = z
  .object({
    url: z.string().regex(S3_URL_PATTERN, 'must be s3://bucket[/prefix] with a valid bucket name'),
    s3: S3EndpointSchema.optional(),
  })
  .strict();
export type S3Root = z.infer<typeof S3RootSchema>;

/**
 * Where workflow starters may point a worker: ad-hoc backup sources under `sources`, restore
 * targets under `targets` (folders relative to the plan file, or S3 prefixes: `s3://bucket/prefix`
 * or `{url, s3}` with its connection). Sites' declared targets are allowed too.
 */
export const RootsSchema = z
  .object({
    sources: z.array(z.string().min(1)).default([]),
    targets: z.array(z.union([z.string().min(1), S3RootSchema])).default([]),
  })
  .strict();

export const PlanSchema = z
  .object({
    version: z.literal(1).default(1),
    repository: RepositorySchema,
    temporal: TemporalSchema.default({}),
    assets: z.array(AssetSchema).default([]),
    /** second repositories snapshots are copied to (`lepton-dr copy --to <name>`) */
    copyTargets: z.array(CopyTargetSchema).default([]),
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
    const targets = new Set<string>();
    p.copyTargets.forEach((t, i) => {
      if (targets.has(t.name)) ctx.addIssue({ code: 'custom', path: ['copyTargets', i, 'name'], message: `duplicate copy target name "${t.name}"` });
      targets.add(t.name);
      if (t.url === p.repository.url && sameEndpoint(t.endpoint, p.repository.endpoint))
        ctx.addIssue({ code: 'custom', path: ['copyTargets', i, 'url'], message: 'is the main repository itself' });
    });
  });
export type Plan = z.infer<typeof PlanSchema>;
