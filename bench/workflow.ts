import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import YAML from 'yaml';
import { spawnServer, type ServerProcess } from '../test/helpers/child';
import type { Seaweed } from '../test/helpers/seaweed';
import { startTemporal, type TemporalDev } from '../test/helpers/temporal';
import type { BackupResult, RestoreResult } from '../src/contracts/types';
import { cpuSecondsOf, peakRssOf } from './measure';

/**
 * lepton-dr through Temporal: a dev server and one worker process (restarted when the
 * repository changes), workflows started by a client and timed from start to result.
 */
export interface WorkflowTimed<T> {
  wallMs: number;
  /** CPU seconds the worker process used during the run */
  workerCpuS: number;
  load1: number;
  result: T;
}

export interface WorkflowRig {
  temporal: TemporalDev;
  startupMs: number;
  /** point the worker at s3://bucket/<prefix> (restarts it when the prefix changes) */
  use(prefix: string): Promise<void>;
  backup(source: string, asset: string): Promise<WorkflowTimed<BackupResult>>;
  restore(target: string, asset: string): Promise<WorkflowTimed<RestoreResult>>;
  /** highest peak RSS (KiB) of any worker process so far */
  workerPeakRssKiB(): number;
  stop(): Promise<void>;
}

const distRoot = path.join(__dirname, '..');

/** The prebuilt bundle next to this build when it is newer than the workflow code, else a fresh one in dir. */
async function workflowBundle(dir: string): Promise<string> {
  const prebuilt = path.join(distRoot, 'workflow-bundle.js');
  const wfDir = path.join(distRoot, 'src', 'workflows');
  const newest = Math.max(...fs.readdirSync(wfDir).map((f) => fs.statSync(path.join(wfDir, f)).mtimeMs));
  if (fs.existsSync(prebuilt) && fs.statSync(prebuilt).mtimeMs >= newest) return prebuilt;
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(wfDir, 'index.js'),
    logger: { info: quiet, warn: console.warn, error: console.error, debug: quiet, trace: quiet, log: quiet },
  });
  const out = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(out, code);
  return out;
}

export async function startWorkflowRig(o: { seaweed: Seaweed; dir: string; packSizeMiB: number }): Promise<WorkflowRig> {
  const t0 = performance.now();
  fs.mkdirSync(o.dir, { recursive: true });
  const [temporal, bundle] = await Promise.all([startTemporal(), workflowBundle(o.dir)]);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  let worker: ServerProcess | undefined;
  let current: string | undefined;
  let peak = 0;
  let n = 0;

  const execute = async <T>(taskQueue: string, type: string, input: unknown): Promise<WorkflowTimed<T>> => {
    const pid = worker?.pid ?? -1;
    const cpu0 = cpuSecondsOf(pid);
    const load1 = os.loadavg()[0];
    const s = performance.now();
    const result = (await client.workflow.execute(type, { taskQueue, workflowId: `bench-${type}-${n++}`, args: [input], workflowExecutionTimeout: '1 hour' })) as T;
    const wallMs = performance.now() - s;
    peak = Math.max(peak, peakRssOf(pid));
    return { wallMs, workerCpuS: cpuSecondsOf(pid) - cpu0, load1, result };
  };

  const stopWorker = async () => {
    if (!worker) return;
    peak = Math.max(peak, peakRssOf(worker.pid));
    await worker.stop(5000);
    worker = undefined;
  };

  const taskQueueOf = (prefix: string) => `lepton-bench-${process.pid}-${prefix}`;

  const use = async (prefix: string) => {
    if (current === prefix && worker) return;
    await stopWorker();
    const planFile = path.join(o.dir, `plan-${prefix}.yaml`);
    fs.writeFileSync(
      planFile,
      YAML.stringify({
        version: 1,
        repository: {
          url: `s3://${o.seaweed.bucket}/${prefix}`,
          endpoint: o.seaweed.endpoint,
          region: o.seaweed.region,
          pathStyle: true,
          keyFile: path.join(o.dir, `repository-${prefix}.key`),
          packSizeMiB: o.packSizeMiB,
        },
        temporal: { address: temporal.address, namespace: temporal.namespace, taskQueue: taskQueueOf(prefix) },
        assets: [],
      }),
    );
    const env: NodeJS.ProcessEnv = { ...process.env, ...o.seaweed.env, LEPTON_DR_PLAN: planFile, LEPTON_DR_LOG_LEVEL: 'info', LEPTON_DR_WORKFLOW_BUNDLE: bundle };
    const logFile = path.join(o.dir, `worker-${prefix}.log`);
    fs.writeFileSync(logFile, '');
    const w = spawnServer(process.execPath, [path.join(distRoot, 'src', 'worker', 'main.js'), '--plan', planFile], { logFile, env });
    worker = w;
    current = prefix;
    const deadline = Date.now() + 60_000;
    while (!fs.readFileSync(logFile, 'utf8').includes('"msg":"worker started"')) {
      if (w.exitStatus !== undefined) throw new Error(`worker exited (${w.exitStatus}):\n${w.logTail()}`);
      if (Date.now() > deadline) throw new Error(`worker not started after 60 s:\n${w.logTail()}`);
      await sleep(100);
    }
    // one round trip first: a worker's first workflow task creates its sandbox; a long-lived worker has that done
    await execute(taskQueueOf(prefix), 'listSnapshotsWorkflow', {});
  };

  const need = () => {
    if (!current) throw new Error('workflow rig: call use(prefix) first');
    return taskQueueOf(current);
  };

  return {
    temporal,
    startupMs: performance.now() - t0,
    use,
    backup: (source, asset) => execute<BackupResult>(need(), 'backupWorkflow', { asset, source }),
    restore: (target, asset) => execute<RestoreResult>(need(), 'restoreWorkflow', { asset, snapshot: 'latest', target }),
    workerPeakRssKiB: () => Math.max(peak, worker ? peakRssOf(worker.pid) : 0),
    async stop() {
      await stopWorker();
      await connection.close();
      await temporal.stop();
    },
  };
}
