import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import YAML from 'yaml';
import type { z } from 'zod';
import { parseOrThrow } from '../src/common/zod-errors';
import { PlanSchema } from '../src/config/plan-schema';
import { spawnServer, type ServerProcess } from '../test/helpers/child';
import type { Seaweed } from '../test/helpers/seaweed';
import { startTemporal, type TemporalDev } from '../test/helpers/temporal';
import type { BackupResult, RestoreResult } from '../src/contracts/types';
import { cpuSecondsOf, peakRssOf } from './measure';
import { workerLaunch } from '../src/stack/worker-process';

/**
 * lepton-dr through Temporal: a dev server and one worker process (restarted when the
 * repository changes), workflows started by a client and timed from start to result. The
 * repository is the headline configuration (encrypted, compression auto), like restic's default.
 */
export const WORKFLOW_PASSWORD_ENV = 'LEPTON_BENCH_REPO_PASSWORD';
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
/** the bundled worker users run (dist/bundle/worker.js) */
export const WORKER_MAIN = path.join(distRoot, 'bundle', 'worker.js');

type PlanInput = z.input<typeof PlanSchema>;

/**
 * A plan for a bench worker: the repository at s3://bucket/<prefix>, the given task queue, and
 * the plan's own sections (assets, sites, roots) as the caller gives them. Checked against the
 * plan schema before it is written, so a field the worker would refuse fails here by name.
 */
export function writeBenchPlan(
  o: {
    seaweed: Seaweed;
    temporal: TemporalDev;
    dir: string;
    prefix: string;
    taskQueue: string;
    packSizeMiB: number;
    /** the headline configuration: encrypted (password from WORKFLOW_PASSWORD_ENV), compression auto */
    likeRestic?: boolean;
  } & Pick<PlanInput, 'assets' | 'sites' | 'roots'>,
): string {
  const { seaweed, temporal, dir, prefix, taskQueue, packSizeMiB, likeRestic, ...sections } = o;
  const plan: PlanInput = {
    version: 1,
    repository: {
      url: `s3://${seaweed.bucket}/${prefix}`,
      endpoint: seaweed.endpoint,
      region: seaweed.region,
      pathStyle: true,
      keyFile: path.join(dir, `repository-${prefix}.key`),
      packSizeMiB,
      ...(likeRestic ? { passwordEnv: WORKFLOW_PASSWORD_ENV, compression: 'auto' as const } : {}),
    },
    temporal: { address: temporal.address, namespace: temporal.namespace, taskQueue },
    ...sections,
  };
  parseOrThrow(PlanSchema, plan, 'bench plan');
  const planFile = path.join(dir, `plan-${prefix}.yaml`);
  fs.writeFileSync(planFile, YAML.stringify(plan));
  return planFile;
}

/** The environment of a bench worker (or CLI) process: S3 credentials, the plan, the prebuilt bundle. */
export const workerEnv = (seaweed: Seaweed, planFile: string, bundle?: string): NodeJS.ProcessEnv => ({
  ...process.env,
  ...seaweed.env,
  LEPTON_DR_PLAN: planFile,
  LEPTON_DR_LOG_LEVEL: 'info',
  ...(bundle ? { LEPTON_DR_WORKFLOW_BUNDLE: bundle } : {}),
});

/** Resolves once the worker logging to logFile says it started (throws if it exits first). */
export async function workerStarted(w: ServerProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.readFileSync(w.logFile, 'utf8').includes('"msg":"worker started"')) {
    if (w.exitStatus !== undefined) throw new Error(`worker exited (${w.exitStatus}):\n${w.logTail()}`);
    if (Date.now() > deadline) throw new Error(`worker not started after ${timeoutMs / 1000} s:\n${w.logTail()}`);
    await sleep(100);
  }
}

/** The prebuilt bundle next to this build when it is newer than the workflow code, else a fresh one in dir. */
export async function workflowBundle(dir: string): Promise<string> {
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

/** `root`: the folder holding the sources backed up and the restore targets. */
export async function startWorkflowRig(o: { seaweed: Seaweed; dir: string; root: string; packSizeMiB: number }): Promise<WorkflowRig> {
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
    const result = (await client.workflow.execute(type, {
      taskQueue,
      workflowId: `bench-${type}-${n++}`,
      args: [input],
      workflowExecutionTimeout: '1 hour',
    })) as T;
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
    // ad-hoc sources and restore targets are refused outside the plan's roots: the bench's temp folder
    const roots = { sources: [o.root], targets: [o.root] };
    const planFile = writeBenchPlan({
      seaweed: o.seaweed,
      temporal,
      dir: o.dir,
      prefix,
      taskQueue: taskQueueOf(prefix),
      packSizeMiB: o.packSizeMiB,
      roots,
      likeRestic: true,
    });
    const env = { ...workerEnv(o.seaweed, planFile, bundle), [WORKFLOW_PASSWORD_ENV]: 'lepton-bench-password' };
    const logFile = path.join(o.dir, `worker-${prefix}.log`);
    fs.writeFileSync(logFile, '');
    const launch = workerLaunch(WORKER_MAIN, planFile, env);
    const w = spawnServer(process.execPath, launch.args, { logFile, env: launch.env });
    worker = w;
    current = prefix;
    await workerStarted(w);
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
