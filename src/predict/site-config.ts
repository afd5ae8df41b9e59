/**
 * A site's prediction configuration: `sites[].prediction` in the plan file (or the inline
 * `config` of predictionWorkflow / trainingWorkflow). Sources (Prometheus queries, log files,
 * pushed series, CSV history for training), warning sinks, thresholds and policy.
 *
 *   sites:
 *     - name: eu-west
 *       prediction:
 *         interval: 60s            # loop period
 *         step: 60s                # model resolution (training and scoring)
 *         prometheus: { url: http://127.0.0.1:9090 }
 *         queries:
 *           - { name: disk_used, query: 'max(node_filesystem_used_ratio{mountpoint="/data"})', limit: { limit: 0.95, leadTime: 4h } }
 *           - { name: gpu_temp, query: 'max(DCGM_FI_DEV_GPU_TEMP)', limit: { limit: 90, leadTime: 30m } }
 *         logs: [{ name: kern, path: /var/log/kern.log }]      # default patterns: GPU XID, OOM, I/O, ECC
 *         pushed: [{ series: queue_depth }]
 *         thresholds: { warn: 0.5, high: 0.8, critical: 0.95 }
 *         hysteresis: 0.1
 *         cooldown: 15m
 *         sinks: { log: true, webhook: { url: https://hooks.slack.com/... }, alertmanager: { url: http://127.0.0.1:9093 } }
 *         policy: { preemptiveBackup: { assets: [checkpoints], cooldown: 1h }, failover: request }
 *         training: { window: 7d, schedule: { every: 24h }, csv: [{ series: disk_used, file: ./history/disk.csv }] }
 */
import path from 'node:path';
import { z } from 'zod';
import { BadInputError } from '../common/errors';
import { formatZodError } from '../common/zod-errors';
import { NameSchema, ScheduleSchema, type Plan } from '../config/plan-schema';
import { DecisionPolicySchema, DurationMs, type DecisionPolicy } from '../config/prediction-policy';
import { DEFAULT_LOG_PATTERNS, logPatternSchema } from './sources/log-counter';
import { seriesScorerConfigSchema } from './detectors/scorer';
import { LIMIT_FORECAST_SETTINGS } from './detectors/trend-config';
import type { TrendConfigInput } from './detectors/trend-config';

const HttpUrl = z.string().refine((u) => {
  try {
    return ['http:', 'https:'].includes(new URL(u).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

/** Time-to-limit forecast of a series ("disk full in 4 h"). */
export const LimitSchema = z
  .object({
    limit: z.number().finite(),
    direction: z.enum(['up', 'down']).default('up'),
    /** Warn this long before the forecast crossing. */
    leadTime: DurationMs.default('4h'),
    windowPoints: z.number().int().min(3).optional(),
    minPoints: z.number().int().min(3).optional(),
    label: z.string().min(1).max(64).optional(),
  })
  .strict();
export type LimitConfig = z.output<typeof LimitSchema>;

export function trendOf(l: LimitConfig, series: string): TrendConfigInput {
  return {
    ...LIMIT_FORECAST_SETTINGS,
    limit: l.limit,
    direction: l.direction,
    leadTimeMs: Math.max(1, l.leadTime),
    ...(l.windowPoints !== undefined ? { windowPoints: l.windowPoints } : {}),
    ...(l.minPoints !== undefined ? { minPoints: l.minPoints } : {}),
    label: l.label ?? series,
  };
}

/** Series key format shared by every source: `name` or `name{label="value",...}` (labels sorted). */
const SeriesName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-zA-Z_:][a-zA-Z0-9_:.-]*$/, 'must be a metric-like name (letters, digits, "_", ":", ".", "-")');

export const QuerySchema = z
  .object({
    /** Series key prefix; the query's labels (if any) are appended: name{host="a"}. */
    name: SeriesName,
    query: z.string().min(1).max(4000),
    limit: LimitSchema.optional(),
  })
  .strict();

export const LogSourceSchema = z
  .object({
    name: SeriesName,
    path: z.string().min(1),
    patterns: z.array(logPatternSchema).min(1).default(DEFAULT_LOG_PATTERNS),
    timestampRegex: z.string().min(1).optional(),
    rotatedPaths: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const PushedSeriesSchema = z
  .object({
    series: z.string().min(1).max(200),
    limit: LimitSchema.optional(),
  })
  .strict();

export const CsvHistorySchema = z
  .object({
    series: z.string().min(1).max(200),
    /** NAB-style CSV: timestamp,value. Relative paths resolve against the plan file's folder. */
    file: z.string().min(1),
  })
  .strict();

export const SinksSchema = z
  .object({
    /** Structured log line per notification (pino, on the worker). */
    log: z.boolean().default(true),
    /** Generic webhook, Slack-compatible JSON ({text, attachments, lepton}). */
    webhook: z
      .object({ url: HttpUrl, headers: z.record(z.string()).default({}), timeoutMs: z.number().int().positive().max(60_000).default(5000) })
      .strict()
      .optional(),
    /** Prometheus Alertmanager API v2 (POST /api/v2/alerts): warnings route like any other alert. */
    alertmanager: z
      .object({
        url: HttpUrl,
        headers: z.record(z.string()).default({}),
        timeoutMs: z.number().int().positive().max(60_000).default(5000),
        /** Extra labels on every alert sent. */
        labels: z.record(z.string()).default({}),
      })
      .strict()
      .optional(),
  })
  .strict()
  .default({});

export const TrainingConfigSchema = z
  .object({
    /** History window fetched from Prometheus. */
    window: DurationMs.default('7d'),
    csv: z.array(CsvHistorySchema).default([]),
    /** Retrain on a Temporal Schedule (`lepton-dr schedules apply` creates it). */
    schedule: ScheduleSchema.optional(),
    keepModels: z.number().int().min(1).max(100).default(5),
    /** Scorer settings for every series (warmup, memory, thresholds...). */
    scorer: seriesScorerConfigSchema.omit({ normaliser: true, trend: true }).partial().strict().optional(),
    maxFillSteps: z.number().int().nonnegative().default(3),
    /** false: keep the library's default thresholds instead of calibrating them on the history. */
    calibrate: z.boolean().default(true),
  })
  .strict()
  .default({});

const PolicyFields = z
  .object({
    preemptiveBackup: z
      .object({ assets: z.array(NameSchema).default([]), cooldown: DurationMs.default('1h') })
      .strict()
      .default({}),
    failover: z.enum(['request', 'recommendOnly', 'off']).default('request'),
    failoverCooldown: DurationMs.default('1h'),
  })
  .strict()
  .default({});

const AlertsFields = z
  .object({
    severityRisk: z.record(z.string().min(1), z.number().min(0).max(1)).default({ critical: 0.9, warning: 0.6, info: 0.3 }),
    defaultRisk: z.number().min(0).max(1).default(0.6),
  })
  .strict()
  .default({});

export const PredictionSiteConfigSchema = z
  .object({
    interval: DurationMs.default('60s'),
    step: DurationMs.refine((v) => v >= 100, 'must be at least 100ms').default('60s'),
    /** Score only buckets older than this (a scrape that has not arrived yet is not a gap). Default 30s with Prometheus, else 0. */
    lag: DurationMs.optional(),
    /** How far back the first collection of a run looks. */
    backfill: DurationMs.default('15m'),
    prometheus: z
      .object({ url: HttpUrl, timeoutMs: z.number().int().positive().default(10_000), headers: z.record(z.string()).default({}) })
      .strict()
      .optional(),
    queries: z.array(QuerySchema).default([]),
    logs: z.array(LogSourceSchema).default([]),
    pushed: z.array(PushedSeriesSchema).default([]),
    thresholds: z.object({ warn: z.number(), high: z.number(), critical: z.number() }).strict().default({ warn: 0.5, high: 0.8, critical: 0.95 }),
    hysteresis: z.number().default(0.1),
    raiseAfter: z.number().int().default(1),
    clearAfter: z.number().int().default(2),
    cooldown: DurationMs.default('15m'),
    repeat: DurationMs.default('4h'),
    alerts: AlertsFields,
    sinks: SinksSchema,
    policy: PolicyFields,
    training: TrainingConfigSchema,
    /** Window of the duty cycles P(B) and P(W). */
    dutyWindow: DurationMs.refine((v) => v >= 1000, 'must be at least 1s').default('1h'),
    /** Continue-as-new after this many iterations (also whenever Temporal suggests it). */
    maxIterationsPerRun: z.number().int().min(1).max(100_000).default(500),
    /** The site's assets for the backup duty cycle (default: the pre-emptive backup assets). */
    assets: z.array(NameSchema).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.queries.length && !c.prometheus) ctx.addIssue({ code: 'custom', path: ['prometheus'], message: 'is required when "queries" are given' });
    const names = new Set<string>();
    for (const [i, q] of c.queries.entries()) {
      if (names.has(q.name)) ctx.addIssue({ code: 'custom', path: ['queries', i, 'name'], message: `duplicate series name "${q.name}"` });
      names.add(q.name);
    }
    for (const [i, l] of c.logs.entries()) {
      if (names.has(l.name)) ctx.addIssue({ code: 'custom', path: ['logs', i, 'name'], message: `duplicate source name "${l.name}"` });
      names.add(l.name);
    }
  });
export type PredictionSiteConfig = z.output<typeof PredictionSiteConfigSchema>;
export type PredictionSiteConfigInput = z.input<typeof PredictionSiteConfigSchema>;

/** The loop's decision policy from a site config (validated: thresholds ordered, ranges). */
export function decisionPolicyOf(c: PredictionSiteConfig, where = 'prediction'): DecisionPolicy {
  const r = DecisionPolicySchema.safeParse({
    thresholds: c.thresholds,
    hysteresis: c.hysteresis,
    raiseAfter: c.raiseAfter,
    clearAfter: c.clearAfter,
    cooldownMs: c.cooldown,
    repeatMs: c.repeat,
    intervalMs: c.interval,
    preemptiveBackup: { assets: c.policy.preemptiveBackup.assets, cooldownMs: c.policy.preemptiveBackup.cooldown },
    failover: c.policy.failover,
    failoverCooldownMs: c.policy.failoverCooldown,
    alertRisk: c.alerts.severityRisk,
    alertDefaultRisk: c.alerts.defaultRisk,
  });
  if (!r.success) {
    // name the fields as written in the plan
    const rename: Record<string, string> = {
      cooldownMs: 'cooldown',
      repeatMs: 'repeat',
      intervalMs: 'interval',
      failoverCooldownMs: 'policy.failoverCooldown',
      alertRisk: 'alerts.severityRisk',
      alertDefaultRisk: 'alerts.defaultRisk',
    };
    const msg = r.error.issues
      .map((i) => {
        const [head, ...rest] = i.path.map(String);
        const field =
          head === 'preemptiveBackup'
            ? ['policy.preemptiveBackup', ...rest].join('.').replace('cooldownMs', 'cooldown')
            : [rename[head] ?? head, ...rest].join('.');
        return `${where}.${field}: ${i.message}`;
      })
      .join('; ');
    throw new BadInputError(`invalid ${msg}`);
  }
  return r.data;
}

/** Parses a prediction config (plan entry or inline); relative file paths resolve against baseDir. */
export function parsePredictionConfig(raw: unknown, where = 'prediction', baseDir?: string): PredictionSiteConfig {
  const r = PredictionSiteConfigSchema.safeParse(raw ?? {});
  if (!r.success) throw new BadInputError(`invalid ${where}: ${formatZodError(r.error)}`);
  const c = r.data;
  decisionPolicyOf(c, where);
  if (!baseDir) return c;
  const abs = (p: string) => path.resolve(baseDir, p);
  return {
    ...c,
    logs: c.logs.map((l) => ({ ...l, path: abs(l.path), ...(l.rotatedPaths ? { rotatedPaths: l.rotatedPaths.map(abs) } : {}) })),
    training: { ...c.training, csv: c.training.csv.map((x) => ({ ...x, file: abs(x.file) })) },
  };
}

export interface SitePrediction {
  site: string;
  config: PredictionSiteConfig;
  /** The plan's entry has the fields a failover needs (primary, standby, switcher). */
  failoverCapable: boolean;
}

/** Names of plan sites with a `prediction` section. */
export function predictionSiteNames(plan: Plan): string[] {
  return plan.sites.filter((s) => typeof s.name === 'string' && s.prediction !== undefined).map((s) => s.name as string);
}

/**
 * The prediction config of a site: inline when given, else the plan's `sites[].prediction`
 * (a site without one gets the defaults: pushed metrics and alerts only).
 */
export function resolvePredictionConfig(plan: Plan, site: string, inline?: unknown, baseDir?: string): SitePrediction {
  const i = plan.sites.findIndex((s) => s.name === site);
  const entry = i >= 0 ? plan.sites[i] : undefined;
  const failoverCapable = Boolean(entry && typeof entry.primary === 'object' && typeof entry.standby === 'object' && typeof entry.switcher === 'object');
  if (inline !== undefined) return { site, config: parsePredictionConfig(inline, `config of site ${site}`, baseDir), failoverCapable };
  return {
    site,
    config: parsePredictionConfig(entry?.prediction ?? {}, i >= 0 ? `plan: sites.${i}.prediction` : `prediction of site ${site}`, baseDir),
    failoverCapable,
  };
}

/** `name` or `name{a="1",b="2"}` (labels sorted, __name__ dropped): the key of a Prometheus series. */
export function querySeriesKey(name: string, labels: Record<string, string>): string {
  const rest = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return rest.length ? `${name}{${rest.join(',')}}` : name;
}

/** Key of a log pattern's counts: log_<pattern>{source="<name>"}. */
export function logSeriesKey(source: string, pattern: string): string {
  return `log_${pattern}{source=${JSON.stringify(source)}}`;
}

/** The query a series key came from (its name before the labels). */
export function seriesBaseName(key: string): string {
  const i = key.indexOf('{');
  return i < 0 ? key : key.slice(0, i);
}

/** Limits (time-to-limit forecasts) for the given series keys, from the queries and pushed series. */
export function limitsFor(c: PredictionSiteConfig, keys: readonly string[]): Record<string, TrendConfigInput> {
  const out: Record<string, TrendConfigInput> = {};
  for (const k of keys) {
    const base = seriesBaseName(k);
    const q = c.queries.find((x) => x.name === base);
    const p = c.pushed.find((x) => x.series === k || x.series === base);
    const l = q?.limit ?? p?.limit;
    if (l) out[k] = trendOf(l, base);
  }
  return out;
}

/** The site's assets for the backup duty cycle. */
export function siteAssets(c: PredictionSiteConfig): string[] {
  return c.assets ?? c.policy.preemptiveBackup.assets;
}

/** Lag before scoring a bucket. */
export function lagOf(c: PredictionSiteConfig): number {
  return c.lag ?? (c.prometheus ? 30_000 : 0);
}
