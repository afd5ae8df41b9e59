import { NativeConnection, Worker } from '@temporalio/worker';
import { logger } from '../common/logger';
import type { Plan } from '../config/plan-schema';
import { createActivities } from '../activities/create-activities';
import { createMaintenanceActivities } from '../activities/maintenance-activities';
import { createFailoverActivities } from '../activities/failover-activities';
import { createPredictionActivities } from '../activities/prediction-activities';
import { ChunkPool } from '../engine/chunker/pool';
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
}

/** Run a worker for backup/restore workflows and activities until shut down. */
export async function runWorker(o: RunWorkerOptions): Promise<void> {
  const log = logger().child({ component: 'worker' });
  if (!runtimeInstalled) {
    installRuntimeLogger(log);
    runtimeInstalled = true;
  }
  const repo = await openRepository(o.plan);
  const pool = new ChunkPool();
  const connection = await NativeConnection.connect({ address: o.plan.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: o.plan.temporal.namespace,
    taskQueue: o.plan.temporal.taskQueue,
    ...workflowSource(),
    activities: { ...createActivities({ plan: o.plan, repo, pool }), ...createMaintenanceActivities({ plan: o.plan, repo }), ...createFailoverActivities({ plan: o.plan, repo }), ...createPredictionActivities({ plan: o.plan, repo, connection }) },
    interceptors: { activity: [redactingActivityInterceptor] },
    maxConcurrentActivityTaskExecutions: o.maxConcurrentActivities ?? 4,
    shutdownGraceTime: '10s',
  });
  log.info({ taskQueue: o.plan.temporal.taskQueue, address: o.plan.temporal.address, repository: repo.store.url }, 'worker started');
  if (o.shutdown) void o.shutdown.then(() => worker.shutdown());
  try {
    await worker.run();
  } finally {
    await pool.close();
    await connection.close();
    log.info('worker stopped');
  }
}
