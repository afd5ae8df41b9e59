import { NativeConnection, Worker } from '@temporalio/worker';
import { logger } from '../common/logger';
import type { Plan } from '../config/plan-schema';
import { describeSecurity, temporalConnectionOptions } from '../config/temporal-connection';
import { createActivities } from '../activities/create-activities';
import { createMaintenanceActivities } from '../activities/maintenance-activities';
import { createCopyActivities } from '../activities/copy-activities';
import { createHookActivities } from '../activities/hook-activities';
import { createFailoverActivities } from '../activities/failover-activities';
import { createPredictionActivities } from '../activities/prediction-activities';
import { ChunkPool } from '../engine/chunker/pool';
import { DrMetrics, serveMetrics } from './dr-metrics';
import { openRepository } from './open-repository';
import { keepAliveActivityInterceptor } from './keep-alive-interceptor';
import { redactingActivityInterceptor } from './redacting-interceptor';
import { installRuntimeLogger } from './runtime-logger';
import { workerSettings, type WorkerSettings } from './worker-settings';
import { workflowSource } from './workflow-source';

let runtimeInstalled = false;

export interface RunWorkerOptions {
  plan: Plan;
  /** resolves when the worker should stop (default: SIGINT/SIGTERM) */
  shutdown?: Promise<void>;
  /** over the environment's settings (src/worker/worker-settings.ts) */
  settings?: Partial<WorkerSettings>;
}

/** Run a worker for backup/restore workflows and activities until shut down. */
export async function runWorker(o: RunWorkerOptions): Promise<void> {
  const log = logger().child({ component: 'worker' });
  const s: WorkerSettings = { ...workerSettings(), ...o.settings };
  const connectionOptions = temporalConnectionOptions(o.plan.temporal);
  if (!runtimeInstalled) {
    // the SDK's own metrics (task latencies, poll counts) through the runtime's Prometheus exporter
    installRuntimeLogger(log, s.sdkMetricsPort === undefined ? undefined : { host: s.metricsHost, port: s.sdkMetricsPort });
    runtimeInstalled = true;
  }
  // workerSettings refused a half-configured deployment before anything opened: it must not poll as an unversioned worker
  const deployment = s.deployment;
  const repo = await openRepository(o.plan);
  const metrics = s.metricsPort === undefined ? undefined : new DrMetrics();
  const served = metrics && s.metricsPort !== undefined ? await serveMetrics(metrics.registry, s.metricsPort, s.metricsHost) : undefined;
  const refresh = async () => metrics?.refreshSnapshots(repo).catch((e: Error) => log.warn({ err: e.message }, 'metrics: cannot list snapshots'));
  await refresh();
  const refresher = metrics ? setInterval(() => void refresh(), 60_000) : undefined;
  refresher?.unref();
  if (served) log.info({ port: served.port }, 'metrics on http://%s:%d/metrics', s.metricsHost, served.port);
  const pool = new ChunkPool(s.chunkThreads, { nice: s.chunkNice, io: s.chunkIo });
  void pool.priorities.then((ps) => {
    const warnings = [...new Set(ps.flatMap((p) => p.warnings))];
    if (warnings.length) log.warn({ warnings }, 'chunk workers: priority not fully lowered');
    else log.info({ threads: ps.length, nice: ps[0]?.nice, io: ps[0]?.io }, 'chunk workers started');
  });
  const connection = await NativeConnection.connect(connectionOptions);
  const worker = await Worker.create({
    connection,
    namespace: o.plan.temporal.namespace,
    taskQueue: o.plan.temporal.taskQueue,
    ...workflowSource(s.workflowBundle),
    ...(deployment ? { workerDeploymentOptions: deployment } : {}),
    activities: {
      ...createActivities({ plan: o.plan, repo, pool, metrics }),
      ...createMaintenanceActivities({ plan: o.plan, repo, metrics }),
      ...createCopyActivities({ plan: o.plan, repo }),
      ...createHookActivities({ plan: o.plan }),
      ...createFailoverActivities({ plan: o.plan, repo, metrics }),
      ...createPredictionActivities({ plan: o.plan, repo, connection, inlineLimitBytes: s.predictInlineBytes }),
    },
    interceptors: { activity: [keepAliveActivityInterceptor(), redactingActivityInterceptor] },
    maxConcurrentActivityTaskExecutions: s.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: s.maxConcurrentWorkflowTasks,
    shutdownGraceTime: s.shutdownGraceMs,
  });
  log.info(
    {
      taskQueue: o.plan.temporal.taskQueue,
      namespace: o.plan.temporal.namespace,
      address: o.plan.temporal.address,
      security: describeSecurity(connectionOptions),
      repository: repo.store.url,
      ...(deployment ? { deployment: deployment.version, versioningBehavior: deployment.defaultVersioningBehavior } : {}),
    },
    'worker started',
  );
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
