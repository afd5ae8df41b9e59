import fs from 'node:fs';
import { z } from 'zod';
import { BadInputError } from '../common/errors';
import { DurationMsSchema, formatIssues } from '../common/schema-primitives';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { DeploymentEnvFields, deploymentOptionsOf } from './deployment-options';

const optional = <S extends z.ZodTypeAny>(s: S) => z.preprocess((v) => (v === '' ? undefined : v), s.optional());
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/**
 * The worker process's own settings (the plan says what to protect; these say how this process
 * runs): one schema, so each bad value is refused at start naming its variable.
 */
export const WorkerEnvSchema = z.object({
  /** Activities (backup batches, restores, verify, ...) run at once by this worker. */
  LEPTON_DR_MAX_CONCURRENT_ACTIVITIES: optional(int(1, 1000)),
  /** Workflow tasks processed at once (the SDK needs at least 2 with its sticky cache). */
  LEPTON_DR_MAX_CONCURRENT_WORKFLOW_TASKS: optional(int(2, 1000)),
  /** How long running activities get to finish after SIGTERM before they are cancelled. */
  LEPTON_DR_SHUTDOWN_GRACE: optional(DurationMsSchema),
  /** A prebuilt workflow bundle (`npm run build` writes dist/workflow-bundle.js); must exist when set. */
  LEPTON_DR_WORKFLOW_BUNDLE: optional(z.string().refine((f) => fs.existsSync(f), { message: 'file does not exist' })),
  LEPTON_DR_METRICS_PORT: optional(int(0, 65535)),
  /** The Temporal SDK's Prometheus exporter (task latencies, polls, slots). */
  LEPTON_DR_SDK_METRICS_PORT: optional(int(0, 65535)),
  /** Where both metrics endpoints listen: 127.0.0.1 by default, 0.0.0.0 in a container scraped from outside. */
  LEPTON_DR_METRICS_HOST: optional(z.string().min(1)),
  /** Prediction values at most this big travel inline in workflow histories; bigger ones go to the repository. */
  LEPTON_DR_PREDICT_INLINE_BYTES: optional(int(0, 256 * 1024)),
  /** Chunking threads (read, chunk, hash) of this process; default one per core. */
  LEPTON_DR_CHUNK_THREADS: optional(int(1, 256)),
  /** Nice value of the chunking threads (0-19; higher yields more CPU to training and serving). */
  LEPTON_DR_CHUNK_NICE: optional(int(0, 19)),
  /** I/O class of the chunking threads: normal, low (best-effort 7) or idle (util-linux ionice). */
  LEPTON_DR_CHUNK_IO: optional(z.enum(['normal', 'low', 'idle'])),
  /** Worker Versioning (deployment-options.ts): off unless a deployment name and a build ID are set. */
  LEPTON_DR_DEPLOYMENT_NAME: optional(DeploymentEnvFields.LEPTON_DR_DEPLOYMENT_NAME),
  LEPTON_DR_BUILD_ID: optional(DeploymentEnvFields.LEPTON_DR_BUILD_ID),
  LEPTON_DR_VERSIONING_BEHAVIOR: optional(DeploymentEnvFields.LEPTON_DR_VERSIONING_BEHAVIOR),
});

export const WORKER_ENV_NAMES = Object.keys(WorkerEnvSchema.shape) as (keyof typeof WorkerEnvSchema.shape)[];

export interface WorkerSettings {
  maxConcurrentActivities: number;
  maxConcurrentWorkflowTasks: number;
  shutdownGraceMs: number;
  workflowBundle?: string;
  metricsPort?: number;
  sdkMetricsPort?: number;
  metricsHost: string;
  predictInlineBytes?: number;
  chunkThreads?: number;
  chunkNice: number;
  chunkIo: 'normal' | 'low' | 'idle';
  /** set: a versioned worker of this deployment and build */
  deployment?: WorkerDeploymentOptions;
}

export const WORKER_DEFAULTS = {
  maxConcurrentActivities: 4,
  maxConcurrentWorkflowTasks: 40,
  shutdownGraceMs: 10_000,
  metricsHost: '127.0.0.1',
  chunkNice: 0,
  chunkIo: 'normal',
} as const;

export function workerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const r = WorkerEnvSchema.safeParse(Object.fromEntries(WORKER_ENV_NAMES.map((n) => [n, env[n]])));
  if (!r.success) throw new BadInputError(`environment: ${formatIssues(r.error)}`);
  const e = r.data;
  const deployment = deploymentOptionsOf(e);
  return {
    maxConcurrentActivities: e.LEPTON_DR_MAX_CONCURRENT_ACTIVITIES ?? WORKER_DEFAULTS.maxConcurrentActivities,
    maxConcurrentWorkflowTasks: e.LEPTON_DR_MAX_CONCURRENT_WORKFLOW_TASKS ?? WORKER_DEFAULTS.maxConcurrentWorkflowTasks,
    shutdownGraceMs: e.LEPTON_DR_SHUTDOWN_GRACE ?? WORKER_DEFAULTS.shutdownGraceMs,
    metricsHost: e.LEPTON_DR_METRICS_HOST ?? WORKER_DEFAULTS.metricsHost,
    chunkNice: e.LEPTON_DR_CHUNK_NICE ?? WORKER_DEFAULTS.chunkNice,
    chunkIo: e.LEPTON_DR_CHUNK_IO ?? WORKER_DEFAULTS.chunkIo,
    ...(e.LEPTON_DR_CHUNK_THREADS !== undefined ? { chunkThreads: e.LEPTON_DR_CHUNK_THREADS } : {}),
    ...(e.LEPTON_DR_WORKFLOW_BUNDLE !== undefined ? { workflowBundle: e.LEPTON_DR_WORKFLOW_BUNDLE } : {}),
    ...(e.LEPTON_DR_METRICS_PORT !== undefined ? { metricsPort: e.LEPTON_DR_METRICS_PORT } : {}),
    ...(e.LEPTON_DR_SDK_METRICS_PORT !== undefined ? { sdkMetricsPort: e.LEPTON_DR_SDK_METRICS_PORT } : {}),
    ...(e.LEPTON_DR_PREDICT_INLINE_BYTES !== undefined ? { predictInlineBytes: e.LEPTON_DR_PREDICT_INLINE_BYTES } : {}),
    ...(deployment ? { deployment } : {}),
  };
}
