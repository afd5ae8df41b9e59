import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startPredictionDemo, type PredictionDemo } from '../demo/prediction-demo';
import YAML from 'yaml';
import { logger, type Logger } from '../common/logger';
import { livePollers } from '../common/task-queue-pollers';
import { LOCAL_STACK, stateDir as defaultStateDir } from '../config/local-stack';
import { humanBytes } from '../common/format';
import type { BackupInput, RestoreInput } from '../contracts/inputs';
import type { BackupResult, RestoreResult } from '../contracts/types';
import { workflowRef } from '../contracts/workflows';
import { startLocalStack, type LocalStack } from './local-stack';
import { localStackEndpoints, probeLocalStack, type LocalStackEndpoints } from './stack-endpoints';
import { localStackPorts, type LocalStackPortOverrides } from './stack-ports';
import { startStandaloneWorker } from './stack-workers';
import { readLastLines } from './process';
import { compareTrees, digestTree, ensureSampleAssets, type SampleAssetOptions } from './sample-assets';
import type { WorkerSupervisor } from './worker-process';

export const DEMO_ASSETS = { models: 'demo-models', dataset: 'demo-dataset' } as const;

export interface DemoOptions {
  /** Stop what the demo started once the report is printed (default: keep running until Ctrl-C). */
  exit: boolean;
  stateDir?: string;
  ports?: LocalStackPortOverrides;
  assets?: SampleAssetOptions;
  /** Waits for a run's result (the CLI draws a progress bar); default handle.result(). */
  follow?: <T>(client: Client, handle: WorkflowHandle, label: string) => Promise<T>;
  out?: (text: string) => void;
  log?: Logger;
}

export interface DemoAssetReport {
  asset: string;
  source: string;
  target: string;
  backupWorkflowId: string;
  restoreWorkflowId: string;
  backup: BackupResult;
  restore: RestoreResult;
  backupMs: number;
  restoreMs: number;
  files: number;
  bytes: number;
  sourceDigest: string;
  restoredDigest: string;
  differences: string[];
  verified: boolean;
}

export interface DemoReport {
  ok: boolean;
  stackStartedHere: boolean;
  uiUrl: string;
  planFile: string;
  assets: DemoAssetReport[];
}

export function workflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The demo's plan: the local stack's repository and the two sample asset sets. */
export function writeDemoPlan(file: string, ep: LocalStackEndpoints, sources: { models: string; dataset: string }): void {
  const plan = {
    version: 1,
    repository: {
      url: LOCAL_STACK.repositoryUrl,
      endpoint: ep.s3Endpoint,
      region: ep.region,
      pathStyle: true,
      keyFile: path.join(ep.stateDir, 'keys', 'repository.key'),
    },
    temporal: { address: ep.temporalAddress, namespace: ep.namespace, taskQueue: LOCAL_STACK.demoTaskQueue },
    assets: [
      { name: DEMO_ASSETS.models, source: sources.models, strategy: 'incremental', tags: ['demo', 'models'], retention: { keepLast: 5 } },
      { name: DEMO_ASSETS.dataset, source: sources.dataset, strategy: 'incremental', tags: ['demo', 'dataset'], retention: { keepLast: 5 } },
    ],
    // the demo restores into <demo>/restored (inside the state folder: the plan says so here)
    roots: { targets: ['restored'] },
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const header = "# Written by `lepton-dr demo`: the local stack's repository and two sample asset sets.\n";
  fs.writeFileSync(file, header + YAML.stringify(plan));
}

class DemoInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'DemoInterrupted';
  }
}

function stamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Waits until a worker polls the task queue, or fails with the worker's log after timeoutMs. */
async function waitForPoller(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  worker: WorkerSupervisor,
  timeoutMs: number,
  stop: Promise<never>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await Promise.race([livePollers(connection, namespace, taskQueue), stop]);
    if (p.workflow > 0 && p.activity > 0 && worker.pid) return;
    if (Date.now() > deadline) {
      throw new Error(
        `no worker polls task queue ${taskQueue} after ${timeoutMs / 1000} s; worker log ${worker.logFile}:\n${readLastLines(worker.logFile, 20)}`,
      );
    }
    await Promise.race([new Promise((res) => setTimeout(res, 250)), stop]);
  }
}

/**
 * `lepton-dr demo`: brings the local stack up (or uses the one running), makes a sample asset
 * set, backs each asset up and restores it through the workflows, verifies the restored trees
 * byte for byte and reports, with links to the runs in the Temporal UI.
 */
export async function runDemo(o: DemoOptions): Promise<DemoReport> {
  const out = o.out ?? ((t: string) => process.stdout.write(t + '\n'));
  const log = (o.log ?? logger()).child({ component: 'demo' });
  const state = o.stateDir ?? defaultStateDir();
  const ports = localStackPorts(o.ports);
  const demoDir = path.join(state, 'demo');
  const planFile = path.join(demoDir, 'plan.yaml');

  const tAssets = Date.now();
  const assets = ensureSampleAssets(path.join(demoDir, 'assets'), o.assets);
  log.info(
    { models: assets.models, dataset: assets.dataset, ms: Date.now() - tAssets },
    assets.generated ? 'sample assets generated' : 'sample assets already there',
  );
  writeDemoPlan(planFile, localStackEndpoints(ports, state), assets);

  // Use the stack `lepton-dr up` runs, else start one. The demo's worker runs the demo plan on
  // its own task queue, so it never competes with the `up` worker (which may run another plan).
  let stack: LocalStack | undefined;
  let ownWorker: WorkerSupervisor | undefined;
  let worker: WorkerSupervisor;
  let ep = await probeLocalStack(ports, state);
  let interruptedBy: ((e: Error) => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => (interruptedBy = reject));
  interrupted.catch(() => undefined);
  let onSignal: ((sig: NodeJS.Signals) => void) | undefined;
  if (ep) {
    out(`Using the local stack already running (Temporal UI ${ep.uiUrl}).`);
    worker = ownWorker = startStandaloneWorker({ endpoints: ep, ports, planFile, logName: 'demo-worker', log: o.log });
    onSignal = (sig) => {
      log.info(`${sig}: stopping the demo worker`);
      interruptedBy?.(new DemoInterrupted());
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  } else {
    stack = await startLocalStack({ withWorker: true, planFile, stateDir: state, ports: o.ports, log: o.log });
    ep = stack;
    worker = stack.worker as WorkerSupervisor;
    void stack.stopped.then(() => interruptedBy?.(new DemoInterrupted()));
  }
  const endpoints = ep;
  const stopOwn = async () => {
    if (onSignal) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    await ownWorker?.stop();
    await stack?.stop();
  };

  const connection = await Connection.connect({ address: endpoints.temporalAddress });
  const client = new Client({ connection, namespace: endpoints.namespace });
  const follow = o.follow ?? (<T>(_c: Client, h: WorkflowHandle) => h.result() as Promise<T>);
  const reports: DemoAssetReport[] = [];
  try {
    await waitForPoller(connection, endpoints.namespace, LOCAL_STACK.demoTaskQueue, worker, 120_000, interrupted);
    const ts = stamp();
    const restoredRoot = path.join(demoDir, 'restored');
    fs.mkdirSync(restoredRoot, { recursive: true });
    for (const [asset, source] of [
      [DEMO_ASSETS.models, assets.models],
      [DEMO_ASSETS.dataset, assets.dataset],
    ] as const) {
      const backupWorkflowId = `demo-backup-${asset}-${ts}`;
      const restoreWorkflowId = `demo-restore-${asset}-${ts}`;
      const target = path.join(restoredRoot, asset);

      out(`backup ${asset} (${source}) ...`);
      const b0 = Date.now();
      const bIn: BackupInput = { asset, reason: 'lepton-dr demo' };
      const bh = await client.workflow.start(workflowRef('backupWorkflow'), {
        taskQueue: LOCAL_STACK.demoTaskQueue,
        workflowId: backupWorkflowId,
        args: [bIn],
        workflowExecutionTimeout: '30 minutes',
      });
      const backup = await Promise.race([follow<BackupResult>(client, bh, `backup ${asset}`), interrupted]);
      const backupMs = Date.now() - b0;
      out(`  ${backup.summary} in ${(backupMs / 1000).toFixed(1)} s`);

      out(`restore ${asset} (latest snapshot) into ${target} ...`);
      const r0 = Date.now();
      const rIn: RestoreInput = { asset, snapshot: 'latest', target };
      const rh = await client.workflow.start(workflowRef('restoreWorkflow'), {
        taskQueue: LOCAL_STACK.demoTaskQueue,
        workflowId: restoreWorkflowId,
        args: [rIn],
        workflowExecutionTimeout: '30 minutes',
      });
      const restore = await Promise.race([follow<RestoreResult>(client, rh, `restore ${asset}`), interrupted]);
      const restoreMs = Date.now() - r0;
      out(`  ${restore.summary} in ${(restoreMs / 1000).toFixed(1)} s`);

      const src = digestTree(source);
      const dst = digestTree(target);
      const differences = compareTrees(src, dst);
      const verified = differences.length === 0 && src.digest === dst.digest;
      out(
        `  verify: ${verified ? `identical, ${src.files} files, ${humanBytes(src.bytes)}, tree sha256 ${src.digest.slice(0, 16)}` : `DIFFERENT: ${differences.join('; ')}`}`,
      );
      reports.push({
        asset,
        source,
        target,
        backupWorkflowId,
        restoreWorkflowId,
        backup,
        restore,
        backupMs,
        restoreMs,
        files: src.files,
        bytes: src.bytes,
        sourceDigest: src.digest,
        restoredDigest: dst.digest,
        differences,
        verified,
      });
    }
  } catch (e) {
    await connection.close().catch(() => undefined);
    await stopOwn();
    throw e instanceof DemoInterrupted ? new Error('demo interrupted; everything it started was stopped') : e;
  }
  await connection.close();

  const report: DemoReport = { ok: reports.every((r) => r.verified), stackStartedHere: Boolean(stack), uiUrl: endpoints.uiUrl, planFile, assets: reports };
  out(formatDemoReport(report, endpoints.namespace));

  if (o.exit) {
    await stopOwn();
  } else {
    out(
      stack
        ? `The stack keeps running so you can look at the runs in the Temporal UI (${endpoints.uiUrl}). Press Ctrl-C to stop it.`
        : `The demo worker keeps running beside your stack (Temporal UI ${endpoints.uiUrl}). Press Ctrl-C to stop it.`,
    );
    // the prediction pillar: a loop on the demo site fed by a real Prometheus scraping a demo metrics endpoint
    let prediction: PredictionDemo | undefined;
    const pconn = await Connection.connect({ address: endpoints.temporalAddress });
    try {
      prediction = await startPredictionDemo({
        stateDir: endpoints.stateDir,
        temporalClient: new Client({ connection: pconn, namespace: endpoints.namespace }),
        taskQueue: LOCAL_STACK.demoTaskQueue,
        assets: [DEMO_ASSETS.models],
        // with a stack of our own, Ctrl-C takes Temporal down too; the next demo replaces the loop
        stopLoopOnStop: !stack,
      });
      out(`prediction loop: ${workflowUrl(endpoints.uiUrl, endpoints.namespace, prediction.workflowId)}`);
      out(`  risk and warnings: lepton-dr predict status --site ${prediction.site}; simulate trouble: curl -X POST ${prediction.metricsUrl}/trouble`);
    } catch (e) {
      out(`prediction demo not started: ${(e as Error).message}`);
    }
    await interrupted.catch(() => undefined);
    // the stack may already be going down with the same Ctrl-C: never wait long on a dead server
    const within = (p: Promise<unknown> | undefined) => Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, 3000).unref())]);
    await within(prediction?.stop());
    await within(pconn.close());
    await stopOwn();
  }
  return report;
}

export function formatDemoReport(r: DemoReport, namespace: string = LOCAL_STACK.namespace): string {
  const lines = ['', `lepton-dr demo: ${r.ok ? 'every restored byte matches its source' : 'VERIFICATION FAILED'}`];
  for (const a of r.assets) {
    lines.push(
      `  ${a.asset.padEnd(13)} snapshot ${a.backup.id.slice(0, 8)} (${a.backup.strategy}): ${a.files} files, ${humanBytes(a.bytes)}; ` +
        `backup ${(a.backupMs / 1000).toFixed(1)} s (new ${humanBytes(a.backup.bytesNew)}, uploaded ${humanBytes(a.backup.bytesUploaded)}), ` +
        `restore ${(a.restoreMs / 1000).toFixed(1)} s, ${a.verified ? 'verified' : `MISMATCH: ${a.differences.join('; ')}`}`,
    );
  }
  lines.push(`  plan: ${r.planFile}`, '', 'Runs in the Temporal UI:');
  for (const a of r.assets) {
    lines.push(`  backup  ${a.asset.padEnd(13)} ${workflowUrl(r.uiUrl, namespace, a.backupWorkflowId)}`);
    lines.push(`  restore ${a.asset.padEnd(13)} ${workflowUrl(r.uiUrl, namespace, a.restoreWorkflowId)}`);
  }
  lines.push('');
  return lines.join('\n');
}
