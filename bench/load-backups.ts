import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { spawnServer, type ServerProcess } from '../test/helpers/child';
import type { Seaweed } from '../test/helpers/seaweed';
import type { TemporalDev } from '../test/helpers/temporal';
import type { BackupResult } from '../src/contracts/types';
import type { BackupBatch } from '../src/config/plan-schema';
import { emptyTally, tallyHistory } from '../test/helpers/activity-tally';
import { XorShift } from './dataset';
import { MiB, peakRssOf, percentile } from './measure';
import { workerLaunch } from '../src/stack/worker-process';
import { WORKER_MAIN, WORKFLOW_PASSWORD_ENV, workerEnv, workerStarted, writeBenchPlan } from './workflow';

/**
 * Many small backups at once: `count` asset folders of `filesPerAsset` incompressible files
 * each, one backupWorkflow per asset, all started together on one task queue served by
 * `workers` worker processes. Latency per workflow is the server's start-to-close time
 * (describe); who ran what comes from the ActivityTaskStarted identities in each history.
 */
export interface SmallAsset {
  name: string;
  source: string;
  files: number;
  bytes: number;
}

/** Deterministic folders: same count and sizes, same bytes (files of 16..64 KiB). */
export function generateSmallAssets(root: string, count: number, filesPerAsset: number): SmallAsset[] {
  const out: SmallAsset[] = [];
  const rng = new XorShift(0x10ad);
  const buf = Buffer.allocUnsafeSlow(64 * 1024);
  for (let a = 0; a < count; a++) {
    const name = `small-${String(a).padStart(3, '0')}`;
    const source = path.join(root, name);
    fs.mkdirSync(path.join(source, 'samples'), { recursive: true });
    let bytes = 0;
    for (let f = 0; f < filesPerAsset; f++) {
      const size = 16 * 1024 + (rng.next() % (48 * 1024 + 1));
      const b = buf.subarray(0, size);
      rng.fill(b);
      fs.writeFileSync(path.join(source, 'samples', `sample-${String(f).padStart(4, '0')}.bin`), b);
      bytes += size;
    }
    out.push({ name, source, files: filesPerAsset, bytes });
  }
  return out;
}

export interface BackupLoadRun {
  workers: number;
  backups: number;
  failed: number;
  errors: string[];
  /** first start request to last result */
  wallMs: number;
  backupsPerS: number;
  /** source bytes read by the backups / wall time */
  mibPerS: number;
  bytesRead: number;
  /** start-to-close of each workflow, from the server's times */
  latencyMs: { p50: number; p99: number; min: number; max: number };
  /** backupBatch activities started per worker process ("pid@host") */
  batchesByWorker: Record<string, number>;
  /** all activities started per worker process */
  activitiesByWorker: Record<string, number>;
  workflowTasksByWorker: Record<string, number>;
  /** activity attempts after the first, and why the earlier attempts ended (timeout type or failure) */
  retries: number;
  retryCauses: Record<string, number>;
  /** peak RSS (VmHWM, KiB) of each worker process, by the identity its histories show */
  peakRssKiBByWorker: Record<string, number>;
}

interface Ctx {
  seaweed: Seaweed;
  temporal: TemporalDev;
  client: Client;
  dir: string;
  bundle: string;
  assets: SmallAsset[];
  workers: number;
  packSizeMiB: number;
  log: (msg: string) => void;
  /** the repository prefix and workflow id prefix of this run (default load-<workers>w) */
  prefix?: string;
  /** the assets' `batch` setting of the plan */
  batch?: BackupBatch;
  /** the headline repository configuration: encrypted, compression auto */
  likeRestic?: boolean;
}

export async function runBackupLoad(c: Ctx): Promise<BackupLoadRun> {
  const prefix = c.prefix ?? `load-${c.workers}w`;
  const taskQueue = `lepton-load-${process.pid}-${prefix}`;
  const planFile = writeBenchPlan({
    seaweed: c.seaweed,
    temporal: c.temporal,
    dir: c.dir,
    prefix,
    taskQueue,
    packSizeMiB: c.packSizeMiB,
    likeRestic: c.likeRestic,
    assets: c.assets.map((a) => ({ name: a.name, source: a.source, ...(c.batch ? { batch: c.batch } : {}) })),
  });
  const env = { ...workerEnv(c.seaweed, planFile, c.bundle), ...(c.likeRestic ? { [WORKFLOW_PASSWORD_ENV]: 'lepton-bench-password' } : {}) };
  const procs: ServerProcess[] = [];
  try {
    for (let i = 0; i < c.workers; i++) {
      const logFile = path.join(c.dir, `worker-${prefix}-${i}.log`);
      fs.writeFileSync(logFile, '');
      const launch = workerLaunch(WORKER_MAIN, planFile, env);
      procs.push(spawnServer(process.execPath, launch.args, { logFile, env: launch.env }));
    }
    await Promise.all(procs.map((w) => workerStarted(w)));
    // a worker's first workflow task creates its sandbox: a few round trips first, as a long-lived worker has them done
    const warm = await Promise.all(
      Array.from({ length: 2 * c.workers }, (_, i) =>
        c.client.workflow.execute('listSnapshotsWorkflow', { taskQueue, workflowId: `${prefix}-warm-${i}`, args: [{}] }),
      ),
    );
    c.log(`load: ${c.workers} worker(s) polling ${taskQueue} (${warm.length} warm-up round trips)`);

    const t0 = performance.now();
    const handles = await Promise.all(
      c.assets.map((a) =>
        c.client.workflow.start('backupWorkflow', {
          taskQueue,
          workflowId: `${prefix}-${a.name}`,
          args: [{ asset: a.name }],
          workflowExecutionTimeout: '2 hours',
        }),
      ),
    );
    const results = await Promise.allSettled(handles.map((h) => h.result() as Promise<BackupResult>));
    const wallMs = performance.now() - t0;
    // keyed by the SDK's default worker identity, as the histories show it
    const peakRssKiBByWorker = Object.fromEntries(procs.map((w) => [`${w.pid}@${os.hostname()}`, peakRssOf(w.pid)]));

    const errors = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).cause ?? (r.reason as Error).message)] : []));
    const bytesRead = results.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value.bytesRead : 0), 0);
    const latencies: number[] = [];
    const t = emptyTally();
    for (const h of handles) {
      const d = await h.describe();
      if (d.closeTime) latencies.push(d.closeTime.getTime() - d.startTime.getTime());
      await tallyHistory(c.client, h.workflowId, t);
    }
    const ok = results.length - errors.length;
    return {
      workers: c.workers,
      backups: results.length,
      failed: errors.length,
      errors: errors.slice(0, 5),
      wallMs,
      backupsPerS: ok / (wallMs / 1000),
      mibPerS: bytesRead / MiB / (wallMs / 1000),
      bytesRead,
      latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), min: Math.min(...latencies), max: Math.max(...latencies) },
      batchesByWorker: t.batches,
      activitiesByWorker: t.activities,
      workflowTasksByWorker: t.tasks,
      retries: t.retries,
      retryCauses: t.retryCauses,
      peakRssKiBByWorker,
    };
  } finally {
    await Promise.all(procs.map((w) => w.stop(5000)));
  }
}
