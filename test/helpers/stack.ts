import { Client, Connection } from '@temporalio/client';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { spawnServer, type ServerProcess } from './child';
import { startSeaweed, type Seaweed } from './seaweed';
import { startTemporal, type TemporalDev } from './temporal';
import { workerLaunch } from '../../src/stack/worker-process';

export const DIST_ROOT = path.join(__dirname, '..', '..');
/** the bundled entry points users run (scripts/bundle-entries.js) */
export const WORKER_JS = path.join(DIST_ROOT, 'bundle', 'worker.js');
export const CLI_JS = path.join(DIST_ROOT, 'bundle', 'cli.js');

export interface TestStack {
  dir: string;
  planFile: string;
  taskQueue: string;
  seaweed: Seaweed;
  temporal: TemporalDev;
  client: Client;
  /** env for a worker or CLI child process talking to this stack */
  env: NodeJS.ProcessEnv;
  startWorker(): ServerProcess;
  workers: ServerProcess[];
  stop(): Promise<void>;
}

export interface StackOptions {
  assets?: Record<string, unknown>[];
  packSizeMiB?: number;
  /** repository.pruneMinGraceHours (tests that prune twice in a row set 0) */
  pruneMinGraceHours?: number;
  /** more repository fields (limits, ...) */
  repository?: Record<string, unknown>;
  /** more environment for the workers (LEPTON_DR_CHUNK_THREADS, ...) */
  workerEnv?: NodeJS.ProcessEnv;
}

/** Real SeaweedFS + real Temporal dev server + a plan file; workers are separate processes (so tests can kill -9 them). */
export async function startStack(o: StackOptions = {}): Promise<TestStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-stack-'));
  const [seaweed, temporal] = await Promise.all([startSeaweed({ bucket: 'lepton-test' }), startTemporal()]);
  const taskQueue = `lepton-test-${process.pid}`;
  const planFile = path.join(dir, 'plan.yaml');
  fs.writeFileSync(
    planFile,
    YAML.stringify({
      version: 1,
      repository: {
        url: 's3://lepton-test/repo',
        endpoint: seaweed.endpoint,
        region: seaweed.region,
        pathStyle: true,
        keyFile: path.join(dir, 'repository.key'),
        packSizeMiB: o.packSizeMiB ?? 16,
        ...(o.pruneMinGraceHours !== undefined ? { pruneMinGraceHours: o.pruneMinGraceHours } : {}),
        ...o.repository,
      },
      temporal: { address: temporal.address, namespace: temporal.namespace, taskQueue },
      assets: o.assets ?? [],
      // tests back up and restore ad hoc inside their temp folder
      roots: { sources: [dir], targets: [dir] },
    }),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, ...seaweed.env, LEPTON_DR_PLAN: planFile, LEPTON_DR_LOG_LEVEL: 'warn' };
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const workers: ServerProcess[] = [];
  const startWorker = () => {
    const launch = workerLaunch(WORKER_JS, planFile, { ...env, ...o.workerEnv });
    const w = spawnServer(process.execPath, launch.args, { logFile: path.join(dir, `worker-${workers.length}.log`), env: launch.env });
    workers.push(w);
    return w;
  };
  return {
    dir,
    planFile,
    taskQueue,
    seaweed,
    temporal,
    client,
    env,
    startWorker,
    workers,
    async stop() {
      await Promise.all(workers.map((w) => w.stop(2000)));
      await connection.close();
      await Promise.all([seaweed.stop(), temporal.stop()]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
