import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_PACK_SIZE_MIB } from '../src/engine/repo/pack';
import { Client, Connection } from '@temporalio/client';
import { startSeaweed } from '../test/helpers/seaweed';
import { startTemporal } from '../test/helpers/temporal';
import { runAlertLoad, type AlertLoadRun } from './load-alerts';
import { generateSmallAssets, runBackupLoad, type BackupLoadRun } from './load-backups';
import { fmtMiB, fmtS } from './measure';
import { sectionScratch, type BenchContext, type BenchRow } from './sections';
import { workflowBundle } from './workflow';

/**
 * Load section (`npm run bench -- --only load [-- --backups 50 --files 100 --rate 100 --seconds 60]`):
 *  (a) `backups` concurrent backup workflows of small generated assets, on one worker process
 *      and on two on the same task queue (a fresh repository each time): wall time, backups/s,
 *      MiB/s, start-to-close latency p50/p99, which worker ran the batches;
 *  (b) Alertmanager deliveries to the bridge at `rate` per second for `seconds` (loopback, token
 *      on), each a signal to the site's prediction loop: achieved rate, latency p50/p99, errors,
 *      and the loop's own count of what it received and de-duplicated.
 */
export interface LoadOptions {
  backups: number;
  filesPerAsset: number;
  workers: number[];
  ratePerS: number;
  seconds: number;
  packSizeMiB: number;
  skip: Set<'backups' | 'alerts'>;
}

export function parseLoadArgs(args: string[]): LoadOptions {
  const o: LoadOptions = { backups: 50, filesPerAsset: 100, workers: [1, 2], ratePerS: 100, seconds: 60, packSizeMiB: DEFAULT_PACK_SIZE_MIB, skip: new Set() };
  for (let i = 0; i < args.length; i++) {
    const v = args[i];
    const num = () => {
      const n = Number(args[++i]);
      if (!(n > 0)) throw new Error(`load: ${v} needs a positive number`);
      return n;
    };
    if (v === '--backups') o.backups = Math.round(num());
    else if (v === '--files') o.filesPerAsset = Math.round(num());
    else if (v === '--rate') o.ratePerS = num();
    else if (v === '--seconds') o.seconds = num();
    else if (v === '--pack-size-mib') o.packSizeMiB = num();
    else if (v === '--skip') {
      const what = args[++i];
      if (what !== 'backups' && what !== 'alerts') throw new Error('load: --skip takes backups or alerts');
      o.skip.add(what);
    } else if (v === '--workers') {
      o.workers = String(args[++i]).split(',').map(Number);
      if (!o.workers.every((n) => Number.isInteger(n) && n > 0)) throw new Error('load: --workers needs a list of worker counts, e.g. 1,2');
    } else
      throw new Error(`load: unknown argument ${v} (--backups N, --files N, --workers 1,2, --rate N, --seconds N, --pack-size-mib N, --skip backups|alerts)`);
  }
  return o;
}

export interface LoadResults {
  options: LoadOptions;
  assets: { count: number; filesPerAsset: number; bytes: number };
  backups: BackupLoadRun[];
  alerts?: AlertLoadRun;
  rows: BenchRow[];
}

const ms = (n: number) => Math.round(n);
const share = (m: Record<string, number>) =>
  Object.entries(m)
    .sort()
    .map(([k, n]) => `${k.split('@')[0]}:${n}`)
    .join(' ');

export function loadRows(r: Omit<LoadResults, 'rows'>): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const b of r.backups) {
    const w = `${r.assets.count} backups, ${b.workers} worker${b.workers > 1 ? 's' : ''}`;
    rows.push({ metric: `${w}: wall time`, value: ms(b.wallMs), unit: 'ms' });
    rows.push({ metric: `${w}: throughput`, value: `${b.backupsPerS.toFixed(2)} backups/s, ${b.mibPerS.toFixed(1)}`, unit: 'MiB/s' });
    rows.push({ metric: `${w}: latency p50 / p99`, value: `${ms(b.latencyMs.p50)} / ${ms(b.latencyMs.p99)}`, unit: 'ms' });
    rows.push({ metric: `${w}: failed / activity retries`, value: `${b.failed} / ${b.retries}`, target: '0 / -', pass: b.failed === 0 });
    const used = Object.values(b.batchesByWorker).filter((n) => n > 0).length;
    rows.push({ metric: `${w}: batches per worker pid`, value: share(b.batchesByWorker), target: `${b.workers} busy`, pass: used === b.workers });
  }
  const one = r.backups.find((b) => b.workers === 1);
  const two = r.backups.find((b) => b.workers === 2);
  if (one && two) rows.push({ metric: 'backups: 2 workers / 1 worker wall time', value: `${(two.wallMs / one.wallMs).toFixed(2)}x` });
  const a = r.alerts;
  if (!a) return rows;
  const expectedDup = a.expectedDuplicates;
  rows.push({
    metric: `alerts ${a.ratePerS}/s for ${a.seconds} s: achieved rate`,
    value: a.achievedPerS.toFixed(1),
    unit: '/s',
    target: `>= ${(0.95 * a.ratePerS).toFixed(0)}/s`,
    pass: a.achievedPerS >= 0.95 * a.ratePerS,
  });
  rows.push({ metric: 'alerts: delivery latency p50 / p99', value: `${a.latencyMs.p50.toFixed(1)} / ${a.latencyMs.p99.toFixed(1)}`, unit: 'ms' });
  rows.push({
    metric: 'alerts: errors / not sent (generator cap)',
    value: `${a.errors} / ${a.notSent}`,
    unit: `of ${a.sent + a.notSent}`,
    target: '0 / 0',
    pass: a.errors === 0 && a.notSent === 0,
  });
  rows.push({
    metric: 'alerts: loop received / duplicates',
    value: a.loop ? `${a.loop.received} / ${a.loop.duplicates}` : `no answer (${a.loopError ?? '?'})`.slice(0, 80),
    unit: `of ${a.ok} answered, ${expectedDup} answered repeats`,
    target: 'all, = repeats',
    pass: a.allReceived && a.loop?.duplicates === expectedDup,
  });
  if (a.loop) rows.push({ metric: 'alerts: loop runs (continue-as-new) / iterations', value: `${a.loop.runs} / ${a.loop.iteration}` });
  const t = a.tasks;
  rows.push({
    metric: 'alerts: loop workflow tasks (last run) p50 / p99 / max',
    value: `${ms(t.durationMs.p50)} / ${ms(t.durationMs.p99)} / ${ms(t.durationMs.max)}`,
    unit: `ms, ${t.completed} tasks, ${t.signals} signals`,
  });
  rows.push({
    metric: 'alerts: loop workflow tasks failed / timed out',
    value: `${t.failed} / ${t.timedOut}`,
    target: '0 / 0',
    pass: t.failed === 0 && t.timedOut === 0,
  });
  rows.push({ metric: 'alerts: last answer to all in the loop', value: ms(a.drainMs), unit: 'ms' });
  return rows;
}

export async function benchLoad(ctx: Partial<BenchContext> = {}): Promise<LoadResults> {
  const o = parseLoadArgs(ctx.args ?? []);
  const { dir, owned, log } = sectionScratch(ctx, 'load');
  const assets = generateSmallAssets(path.join(dir, 'assets'), o.backups, o.filesPerAsset);
  const assetBytes = assets.reduce((n, a) => n + a.bytes, 0);
  log(`load: ${assets.length} assets of ${o.filesPerAsset} files, ${fmtMiB(assetBytes)} in all`);
  const [seaweed, temporal, bundle] = await Promise.all([startSeaweed({ bucket: 'load' }), startTemporal(), workflowBundle(dir)]);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  try {
    const backups: BackupLoadRun[] = [];
    for (const workers of o.skip.has('backups') ? [] : o.workers) {
      const b = await runBackupLoad({ seaweed, temporal, client, dir, bundle, assets, workers, packSizeMiB: o.packSizeMiB, log });
      backups.push(b);
      log(
        `load: ${b.backups} backups on ${workers} worker(s) in ${fmtS(b.wallMs)}: ${b.backupsPerS.toFixed(2)}/s, ${b.mibPerS.toFixed(1)} MiB/s, p50 ${ms(b.latencyMs.p50)} ms, p99 ${ms(b.latencyMs.p99)} ms, failed ${b.failed}, retries ${b.retries}${b.retries ? ` (${JSON.stringify(b.retryCauses)})` : ''}, batches ${share(b.batchesByWorker)}`,
      );
    }
    const alerts = o.skip.has('alerts')
      ? undefined
      : await runAlertLoad({ seaweed, temporal, client, dir, bundle, packSizeMiB: o.packSizeMiB, ratePerS: o.ratePerS, seconds: o.seconds, log });
    if (alerts)
      log(
        `load: ${alerts.ok} of ${alerts.sent} deliveries ok at ${alerts.achievedPerS.toFixed(1)}/s, p50 ${alerts.latencyMs.p50.toFixed(1)} ms, p99 ${alerts.latencyMs.p99.toFixed(1)} ms; loop ${alerts.loop ? `received ${alerts.loop.received}, duplicates ${alerts.loop.duplicates}` : `did not answer: ${alerts.loopError}`}; workflow tasks ${JSON.stringify(alerts.tasks)}`,
      );
    const partial = { options: o, assets: { count: assets.length, filesPerAsset: o.filesPerAsset, bytes: assetBytes }, backups, alerts };
    return { ...partial, rows: loadRows(partial) };
  } finally {
    await connection.close();
    await Promise.all([temporal.stop(), seaweed.stop()]);
    if (owned) fs.rmSync(dir, { recursive: true, force: true });
  }
}
