import { z } from 'zod';
import { nameSchema } from '../common/schema-primitives';
import { DurationMs, PolicyPatchSchema } from '../config/prediction-policy';

/**
 * Inputs and message payloads of predictionWorkflow and trainingWorkflow. Pure zod, safe in the
 * workflow sandbox; the bridge and the CLI validate with the same schemas. The decision policy
 * (thresholds, cooldowns, actions) lives in src/config/prediction-policy.ts, re-exported here.
 */
export * from '../config/prediction-policy';

export const SiteName = nameSchema('is required (the site name from the plan)');

// ---------------------------------------------------------------- signals

/** One pushed sample; `t` (epoch ms) defaults to the time the loop receives it. */
export const PushedSampleSchema = z
  .object({
    series: z.string().min(1).max(200),
    t: z.number().finite().positive().optional(),
    v: z.number().finite(),
  })
  .strict();

/** Payload of the `pushMetrics` signal (and of the bridge's POST /metrics/push, which adds `site`). */
export const PushMetricsSchema = z
  .object({
    samples: z.array(PushedSampleSchema).min(1, 'must hold at least one sample').max(5000, 'at most 5000 samples per push'),
  })
  .strict();
export type PushMetrics = z.infer<typeof PushMetricsSchema>;

const IsoTime = z.string().datetime({ offset: true, message: 'must be an RFC 3339 time such as 2026-11-27T10:00:00Z' });

/** One monitoring alert as the loop keeps it (the bridge maps Alertmanager's fields onto it). */
export const MonitoringAlertSchema = z
  .object({
    status: z.enum(['firing', 'resolved'], { errorMap: () => ({ message: "must be 'firing' or 'resolved'" }) }),
    fingerprint: z.string().min(1).max(128),
    startsAt: IsoTime,
    endsAt: z.string().max(64).optional(),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()).default({}),
    generatorURL: z.string().max(2000).optional(),
  })
  .strict();
export type MonitoringAlert = z.infer<typeof MonitoringAlertSchema>;

/** Payload of the `alert` signal: a batch of alerts (one Alertmanager notification for one site). */
export const AlertSignalSchema = z
  .object({
    alerts: z.array(MonitoringAlertSchema).min(1).max(500),
    receiver: z.string().max(200).optional(),
    groupKey: z.string().max(2000).optional(),
    externalURL: z.string().max(2000).optional(),
  })
  .strict();
export type AlertSignal = z.input<typeof AlertSignalSchema>;

export const ReasonTextSchema = z.object({ reason: z.string().max(500).optional() }).strict();

// ---------------------------------------------------------------- workflow inputs

/** Paths of `headers` keys (credentials) anywhere in an inline config. */
function headerPaths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => headerPaths(x, [...at, i]));
  if (!v || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => (k === 'headers' ? [[...at, k]] : headerPaths(x, [...at, k])));
}

/**
 * An inline config goes into the workflow history as it is: credentials (headers of the
 * Prometheus source, the webhook and Alertmanager sinks) are refused there; the worker takes
 * them from the plan (sites[].prediction), where they are redacted.
 */
const InlineConfigSchema = z.record(z.unknown()).superRefine((c, ctx) => {
  for (const p of headerPaths(c))
    ctx.addIssue({
      code: 'custom',
      path: p,
      message: 'credentials are never taken from workflow input: put headers in the plan (sites[].prediction) on the worker',
    });
});

/**
 * Input of predictionWorkflow. From the Temporal UI: {"site": "eu-west"}. The site's sources,
 * sinks and policy come from the plan (`sites[].prediction`); `config` gives them inline instead
 * (same schema, for sites not in the plan, e.g. the demo). `carry` is internal (continue-as-new).
 */
export const PredictionInputSchema = z
  .object({
    site: SiteName,
    /** Inline prediction config (src/predict/site-config.ts) without credentials, validated by the settings activity. */
    config: InlineConfigSchema.optional(),
    /** Policy changes on top of the config (as the setPolicy update gives them). */
    policy: PolicyPatchSchema.optional(),
    /** Continue-as-new after this many iterations of one run (default 500; also when the server suggests it). */
    maxIterationsPerRun: z.number().int().min(1).max(100_000).optional(),
    /** Stop (complete) after this many iterations in total: benchmarks and tests. */
    maxIterations: z.number().int().min(1).optional(),
    /** Internal: state carried through continue-as-new. */
    carry: z.record(z.unknown()).optional(),
  })
  .strict();
export type PredictionInput = z.input<typeof PredictionInputSchema>;

/** Input of trainingWorkflow. From the UI: {"site": "eu-west"}. */
export const TrainingInputSchema = z
  .object({
    site: SiteName,
    config: InlineConfigSchema.optional(),
    /** History window ending now (default: the site's training.window). */
    windowMs: DurationMs.optional(),
    reason: z.string().max(200).optional(),
  })
  .strict();
export type TrainingInput = z.input<typeof TrainingInputSchema>;

export const predictionWorkflowId = (site: string): string => `predict-${site}`;
export const trainingWorkflowId = (site: string): string => `train-${site}`;
/** One pre-emptive backup per site, asset and cooldown slot: repeated triggers join it. */
export const preemptiveBackupId = (site: string, asset: string, slot: number): string => `preemptive-${site}-${asset}-${slot}`;
