import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { resolvePlan } from '../config/load-plan';
import type { Plan } from '../config/plan-schema';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { parsePlanSites } from '../failover/plan-sites';
import { localStackWorkerHint } from './worker-hint';
import { WorkerWatch } from './worker-watch';

export interface GlobalOptions {
  plan?: string;
  json?: boolean;
  /** false with --no-wait-for-worker: refuse to start a run that no worker would pick up. */
  waitForWorker?: boolean;
}

/** The plan and a Temporal client: everything the CLI does goes through Temporal. */
export async function connect(opts: GlobalOptions): Promise<{ plan: Plan; client: Client; close: () => Promise<void> }> {
  const plan = resolvePlan(opts.plan);
  parsePlanSites(plan, plan.baseDir ?? process.cwd()); // a broken site is refused now, not during an incident
  const options = temporalConnectionOptions(plan.temporal); // a missing certificate or API key is refused as such
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: '5s' });
  } catch (e) {
    throw new Error(`cannot reach Temporal at ${plan.temporal.address} (${(e as Error).message}); start the local stack with "lepton-dr up"`);
  }
  const watch = new WorkerWatch({
    connection,
    address: plan.temporal.address,
    namespace: plan.temporal.namespace,
    taskQueue: plan.temporal.taskQueue,
    say: (line) => process.stderr.write(`lepton-dr: ${line}\n`),
    hint: () => localStackWorkerHint(plan.temporal.address),
  });
  const client = new Client({ connection, namespace: plan.temporal.namespace, interceptors: { workflow: [needsWorker(watch, opts.waitForWorker ?? true)] } });
  return {
    plan,
    client,
    close: async () => {
      await watch.stop();
      await connection.close();
    },
  };
}

/**
 * Everything that only a worker can answer (a run started, a query, an update) first makes sure
 * one polls (--no-wait-for-worker) or starts the watch that says so within seconds.
 */
function needsWorker(watch: WorkerWatch, wait: boolean): WorkflowClientInterceptor {
  const before = async () => {
    if (!wait) await watch.requireWorker();
    watch.begin();
  };
  return {
    startWithDetails: async (input, next) => (await before(), next(input)),
    signalWithStart: async (input, next) => (await before(), next(input)),
    startUpdate: async (input, next) => (await before(), next(input)),
    query: async (input, next) => (await before(), next(input)),
  };
}

export function timestampId(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
