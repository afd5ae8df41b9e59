import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PACK_SIZE_MIB } from '../src/engine/repo/pack';
import { Client, Connection } from '@temporalio/client';
import { startSeaweed } from '../test/helpers/seaweed';
import { startTemporal } from '../test/helpers/temporal';
import { BackupBatchSchema, type BackupBatch } from '../src/config/plan-schema';
import { parseOrThrow } from '../src/common/zod-errors';
import { generateFileTree } from './dataset';
import { runBackupLoad, type BackupLoadRun } from './load-backups';
import { CachePolicy, fmtMiB, fmtS, median } from './measure';
import { sectionScratch, type BenchContext, type BenchRow } from './sections';
import { workflowBundle } from './workflow';

/**
 * Scale-out (`npm run bench -- --only scaleout [-- --files N --workers 1,2 --repeat N --batch-files N]`):
 * one backupWorkflow of a dataset tree of N small files (the cost curve's `files:N` tree), run on
 * a task queue served by one worker process and then by two (a fresh repository each time, the
 * headline configuration: encrypted, compression auto; page cache dropped before each run).
 * Reports the wall time from start to result, the batches each worker process ran (from the
 * ActivityTaskStarted identities of the history) and each worker process's peak RSS.
 */
export interface ScaleoutOptions {
  files: number;
  workers: number[];
  repeat: number;
  /** the asset's `batch` setting (unset: the engine's defaults) */
  batch?: BackupBatch;
  packSizeMiB: number;
}

const USAGE = 'scaleout: --files N, --workers 1,2, --repeat N, --batch-files N, --batch-mib N, --pack-size-mib N';

export function parseScaleoutArgs(args: string[]): ScaleoutOptions {
  const o: ScaleoutOptions = { files: 50_000, workers: [1, 2], repeat: 1, packSizeMiB: DEFAULT_PACK_SIZE_MIB };
  const batch: Record<string, number> = {};
  for (let i = 0; i < args.length; i++) {
    const v = args[i];
    const num = () => {
      const n = Number(args[++i]);
      if (!(Number.isInteger(n) && n > 0)) throw new Error(`scaleout: ${v} needs a positive whole number`);
      return n;
    };
    if (v === '--files') o.files = num();
    else if (v === '--repeat') o.repeat = num();
    else if (v === '--pack-size-mib') o.packSizeMiB = num();
    else if (v === '--batch-files') batch.files = num();
    else if (v === '--batch-mib') batch.mib = num();
    else if (v === '--workers') {
      o.workers = String(args[++i]).split(',').map(Number);
      if (!o.workers.every((n) => Number.isInteger(n) && n > 0)) throw new Error('scaleout: --workers needs a list of worker counts, e.g. 1,2');
    } else throw new Error(`scaleout: unknown argument ${v} (${USAGE})`);
  }
  if (Object.keys(batch).length) o.batch = parseOrThrow(BackupBatchSchema, batch, 'scaleout batch');
  return o;
}

export interface ScaleoutResults {
  options: ScaleoutOptions;
  tree: { files: number; bytes: number; generateMs: number };
  cacheMode: string;
  load1: number[];
  runs: BackupLoadRun[];
  rows: BenchRow[];
}

/** Worker processes in start order ("w1", "w2", ...): the keys of peakRssKiBByWorker are the identities in that order. */
const perWorker = (r: BackupLoadRun, value: (identity: string) => string) =>
  Object.keys(r.peakRssKiBByWorker)
    .map((id, i) => `w${i + 1} ${value(id)}`)
    .join(', ');

export function scaleoutRows(runs: BackupLoadRun[], files: number): BenchRow[] {
  const rows: BenchRow[] = [];
  const wallOf = new Map<number, number>();
  for (const workers of [...new Set(runs.map((r) => r.workers))]) {
    const mine = runs.filter((r) => r.workers === workers);
    const last = mine[mine.length - 1];
    const w = `${files} files, ${workers} worker${workers > 1 ? 's' : ''}`;
    const wall = median(mine.map((r) => r.wallMs));
    wallOf.set(workers, wall);
    rows.push({ metric: `${w}: wall time`, value: fmtS(wall), unit: mine.length > 1 ? `median of ${mine.map((r) => fmtS(r.wallMs)).join(', ')}` : undefined });
    const busy = mine.every((r) => Object.values(r.batchesByWorker).filter((n) => n > 0).length === workers);
    rows.push({
      metric: `${w}: batches per worker`,
      value: perWorker(last, (id) => String(last.batchesByWorker[id] ?? 0)),
      target: `all ${workers} busy`,
      pass: busy,
    });
    rows.push({ metric: `${w}: peak RSS per worker`, value: perWorker(last, (id) => fmtMiB(last.peakRssKiBByWorker[id] * 1024)) });
    rows.push({
      metric: `${w}: failed / activity retries`,
      value: `${mine.reduce((n, r) => n + r.failed, 0)} / ${mine.reduce((n, r) => n + r.retries, 0)}`,
      target: '0 / -',
      pass: mine.every((r) => r.failed === 0),
    });
  }
  const one = wallOf.get(1);
  const two = wallOf.get(2);
  if (one && two) rows.push({ metric: `2 workers / 1 worker wall time (${os.cpus().length} cores)`, value: `${(two / one).toFixed(2)}x` });
  return rows;
}

export async function benchScaleout(ctx: Partial<BenchContext> = {}): Promise<ScaleoutResults> {
  const o = parseScaleoutArgs(ctx.args ?? []);
  const { dir, owned, log } = sectionScratch(ctx, 'scaleout');
  const source = path.join(dir, 'tree');
  const g0 = performance.now();
  const tree = { ...generateFileTree(source, o.files), generateMs: performance.now() - g0 };
  log(`scaleout: ${tree.files} files, ${fmtMiB(tree.bytes)} generated in ${fmtS(tree.generateMs)}`);
  const cache = new CachePolicy(source);
  const [seaweed, temporal, bundle] = await Promise.all([startSeaweed({ bucket: 'scaleout' }), startTemporal(), workflowBundle(dir)]);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const runs: BackupLoadRun[] = [];
  const load1: number[] = [];
  try {
    for (let rep = 0; rep < o.repeat; rep++)
      for (const workers of o.workers) {
        cache.prepare();
        load1.push(os.loadavg()[0]);
        const r = await runBackupLoad({
          seaweed,
          temporal,
          client,
          dir,
          bundle,
          assets: [{ name: 'tree', source, files: tree.files, bytes: tree.bytes }],
          workers,
          packSizeMiB: o.packSizeMiB,
          log,
          prefix: `scaleout-${workers}w-${rep}`,
          likeRestic: true,
          ...(o.batch ? { batch: o.batch } : {}),
        });
        runs.push(r);
        log(
          `scaleout: ${workers} worker(s) in ${fmtS(r.wallMs)}, failed ${r.failed}${r.errors.length ? ` (${r.errors[0]})` : ''}, retries ${r.retries}; batches ${perWorker(r, (id) => String(r.batchesByWorker[id] ?? 0))}; peak RSS ${perWorker(r, (id) => fmtMiB(r.peakRssKiBByWorker[id] * 1024))}`,
        );
      }
  } finally {
    await connection.close();
    await Promise.all([temporal.stop(), seaweed.stop()]);
    if (owned) fs.rmSync(dir, { recursive: true, force: true });
  }
  return { options: o, tree, cacheMode: cache.mode, load1, runs, rows: scaleoutRows(runs, tree.files) };
}
