import { NativeConnection, Worker } from '@temporalio/worker';
import { logger } from '../common/logger';
import type { Plan } from '../config/plan-schema';
import { createActivities } from '../activities/create-activities';
import { createMaintenanceActivities } from '../activities/maintenance-activities';
import { createHookActivities } from '../activities/hook-activities';
import { createFailoverActivities } from '../activities/failover-activities';
import { createPredictionActivities } from '../activities/prediction-activities';
import { ChunkPool } from '../engine/chunker/pool';
import { BadInputError } from '../common/errors';
import { DrMetrics, serveMetrics } from './dr-metrics';
import { openRepository } from './open-repository';
import { redactingActivityInterceptor } from './redacting-interceptor';
import { installRuntimeLogger } from './runtime-logger';
import { workflowSource } from './workflow-source';

let runtimeInstalled = false;

export interface RunWorkerOptions {
  plan: Plan;
  /** resolves when the worker should stop (default: SIGINT/SIGTERM) */
  shutdown?: Promise<void>;
  maxConcurrentActivities?: number;
  /** serve lepton-dr's Prometheus series on 127.0.0.1:<port>/metrics (default: $LEPTON_DR_METRICS_PORT, else none) */
  metricsPort?: number;
}

const portFrom = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new BadInputError(`${name}: "${v}" is not a port (0-65535)`);
  return n;
};

/** Run a worker for backup/restore workflows and activities until shut down. */
export async function runWorker(o: RunWorkerOptions): Promise<void> {
  const log = logger().child({ component: 'worker' });
  if (!runtimeInstalled) {
    // the SDK's own metrics (task latencies, poll counts) through the runtime's Prometheus exporter
    installRuntimeLogger(log, portFrom(process.env.LEPTON_DR_SDK_METRICS_PORT, 'LEPTON_DR_SDK_METRICS_PORT'));
    runtimeInstalled = true;
  }
  const repo = await openRepository(o.plan);
  const metricsPort = o.metricsPort ?? portFrom(process.env.LEPTON_DR_METRICS_PORT, 'LEPTON_DR_METRICS_PORT');
  const metrics = metricsPort === undefined ? undefined : new DrMetrics();
  const served = metrics && metricsPort !== undefined ? await serveMetrics(metrics.registry, metricsPort) : undefined;
  const refresh = async () => metrics?.refreshSnapshots(repo).catch((e: Error) => log.warn({ err: e.message }, 'metrics: cannot list snapshots'));
  await refresh();
  const refresher = metrics ? setInterval(() => void refresh(), 60_000) : undefined;
  refresher?.unref();
  if (served) log.info({ port: served.port }, 'metrics on http://127.0.0.1:%d/metrics', served.port);
  const pool = new ChunkPool();
  const connection = await NativeConnection.connect({ address: o.plan.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: o.plan.temporal.namespace,
    taskQueue: o.plan.temporal.taskQueue,
    ...workflowSource(),
    activities: {
      ...createActivities({ plan: o.plan, repo, pool, metrics }),
      ...createMaintenanceActivities({ plan: o.plan, repo, metrics }),
      ...createHookActivities({ plan: o.plan }),
      ...createFailoverActivities({ plan: o.plan, repo, metrics }),
      ...createPredictionActivities({ plan: o.plan, repo, connection }),
    },
    interceptors: { activity: [redactingActivityInterceptor] },
    maxConcurrentActivityTaskExecutions: o.maxConcurrentActivities ?? 4,
    shutdownGraceTime: '10s',
  });
  log.info({ taskQueue: o.plan.temporal.taskQueue, address: o.plan.temporal.address, repository: repo.store.url }, 'worker started');
  if (o.shutdown) void o.shutdown.then(() => worker.shutdown());
  try {
    await worker.run();
  } finally {
    if (refresher) clearInterval(refresher);
    await served?.close();
    await pool.close();
    await connection.close();
    log.info('worker stopped');
  }
}
