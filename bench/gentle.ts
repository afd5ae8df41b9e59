import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_PACK_SIZE_MIB } from '../src/engine/repo/pack';
import { startSeaweed, type Seaweed } from '../test/helpers/seaweed';
import { datasetSpec, generateDataset } from './dataset';
import { EngineDirect, type EngineRun, type EngineTarget } from './engine';
import { MiB, fmtMiB, percentile } from './measure';
import type { BenchContext, BenchRow } from './sections';

/**
 * Gentle section (`npm run bench -- --only gentle [--scale S] [-- --rate 50 --upload-mib 8 --threads 1 --nice 19 --io idle]`):
 * a stand-in model server (bench/latency-server.ts, a matrix multiply per request, in its own
 * process) answers requests at a steady rate while a full engine-direct backup of the bench
 * data set runs in another process. The server's latency p50/p99 with no backup, with an
 * unlimited backup, and with the limits on: upload bandwidth, requests in flight, chunk
 * threads, and the chunk threads' nice value and I/O class.
 */
export interface GentleOptions {
  ratePerS: number;
  uploadMiBps: number;
  maxRequests: number;
  threads: number;
  nice: number;
  io: 'normal' | 'low' | 'idle';
  baselineS: number;
  matrix: number;
}

export function parseGentleArgs(args: string[]): GentleOptions {
  const o: GentleOptions = { ratePerS: 50, uploadMiBps: 8, maxRequests: 4, threads: 1, nice: 19, io: 'idle', baselineS: 10, matrix: 96 };
  for (let i = 0; i < args.length; i++) {
    const v = args[i];
    const num = () => {
      const n = Number(args[++i]);
      if (!(n >= 0)) throw new Error(`gentle: ${v} needs a number`);
      return n;
    };
    if (v === '--rate') o.ratePerS = num();
    else if (v === '--upload-mib') o.uploadMiBps = num();
    else if (v === '--max-requests') o.maxRequests = Math.round(num());
    else if (v === '--threads') o.threads = Math.round(num());
    else if (v === '--nice') o.nice = Math.round(num());
    else if (v === '--baseline-s') o.baselineS = num();
    else if (v === '--matrix') o.matrix = Math.round(num());
    else if (v === '--io') {
      const io = args[++i];
      if (io !== 'normal' && io !== 'low' && io !== 'idle') throw new Error('gentle: --io takes normal, low or idle');
      o.io = io;
    } else
      throw new Error(
        `gentle: unknown argument ${v} (--rate N, --upload-mib N, --max-requests N, --threads N, --nice N, --io normal|low|idle, --baseline-s N, --matrix N)`,
      );
  }
  return o;
}

async function startServer(matrix: number): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'latency-server.js'), String(matrix)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`latency server exited (${code})`)));
  });
  return { port: (JSON.parse(line) as { port: number }).port, child };
}

export interface LatencyPhase {
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Requests at a steady rate (open loop: sent on schedule, not after the previous answer) until `work` settles. */
async function latencyWhile<T>(port: number, ratePerS: number, work: Promise<T>): Promise<{ phase: LatencyPhase; result: T }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  let errors = 0;
  let stop = false;
  const settled = work.finally(() => (stop = true));
  settled.catch(() => undefined);
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; !stop; i++) {
    const wait = t0 + (i * 1000) / ratePerS - performance.now();
    if (wait > 0) await sleep(wait);
    if (stop) break;
    const sent = performance.now();
    inflight.push(
      new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/infer', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - sent);
            else errors++;
            resolve();
          });
        });
        req.on('error', () => {
          errors++;
          resolve();
        });
      }),
    );
  }
  await Promise.all(inflight);
  agent.destroy();
  const result = await settled;
  return {
    result,
    phase: { requests: latencies.length + errors, errors, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies) },
  };
}

export async function benchGentle(ctx: BenchContext): Promise<{ options: GentleOptions; dataset: unknown; phases: Record<string, unknown>; rows: BenchRow[] }> {
  const o = parseGentleArgs(ctx.args);
  const ds = generateDataset(path.join(ctx.tmpDir, 'assets'), datasetSpec(ctx.scale));
  let seaweed: Seaweed | undefined;
  let server: { port: number; child: ChildProcess } | undefined;
  try {
    seaweed = await startSeaweed({ bucket: 'gentle' });
    server = await startServer(o.matrix);
    const engine = (prefix: string, gentle?: EngineTarget['gentle']) =>
      new EngineDirect({
        endpoint: seaweed!.endpoint,
        region: seaweed!.region,
        bucket: seaweed!.bucket,
        prefix,
        accessKeyId: seaweed!.accessKeyId,
        secretAccessKey: seaweed!.secretAccessKey,
        packSizeMiB: DEFAULT_PACK_SIZE_MIB,
        compression: 'auto',
        asset: 'gentle',
        workDir: path.join(ctx.tmpDir, prefix),
        gentle,
      });
    // JIT warm-up of server and client
    await latencyWhile(server.port, o.ratePerS, sleep(2000));
    const idle = await latencyWhile(server.port, o.ratePerS, sleep(o.baselineS * 1000));
    const unlimited = await latencyWhile(server.port, o.ratePerS, engine('unlimited').backup(ds.root));
    const limited = await latencyWhile(
      server.port,
      o.ratePerS,
      engine('limited', {
        limits: { uploadBytesPerSec: Math.round(o.uploadMiBps * MiB), maxRequests: o.maxRequests },
        chunkThreads: o.threads,
        chunkPriority: { nice: o.nice, io: o.io },
      }).backup(ds.root),
    );
    const mibps = (r: EngineRun) => Number((ds.bytes / MiB / (r.wallMs / 1000)).toFixed(1));
    const ms = (v: number) => Number(v.toFixed(1));
    const rows: BenchRow[] = [
      { metric: `server p50, no backup (${o.ratePerS} req/s, ${o.matrix}x${o.matrix} matmul)`, value: ms(idle.phase.p50Ms), unit: 'ms' },
      { metric: 'server p99, no backup', value: ms(idle.phase.p99Ms), unit: 'ms' },
      { metric: 'server p50, unlimited backup', value: ms(unlimited.phase.p50Ms), unit: 'ms' },
      { metric: 'server p99, unlimited backup', value: ms(unlimited.phase.p99Ms), unit: 'ms' },
      {
        metric: `server p50, limited backup (${o.uploadMiBps} MiB/s, ${o.threads} thread(s), nice ${o.nice}, io ${o.io})`,
        value: ms(limited.phase.p50Ms),
        unit: 'ms',
      },
      {
        metric: 'server p99, limited backup',
        value: ms(limited.phase.p99Ms),
        unit: 'ms',
        target: `<= unlimited's ${ms(unlimited.phase.p99Ms)}`,
        pass: limited.phase.p99Ms <= unlimited.phase.p99Ms,
      },
      { metric: `backup unlimited (${fmtMiB(ds.bytes)})`, value: mibps(unlimited.result), unit: 'MiB/s' },
      { metric: 'backup limited', value: mibps(limited.result), unit: 'MiB/s', target: `<= ${o.uploadMiBps} x 1.1 (source bytes; upload is after dedup)` },
      { metric: 'server errors (all phases)', value: idle.phase.errors + unlimited.phase.errors + limited.phase.errors },
    ];
    return {
      options: o,
      dataset: ds,
      phases: {
        idle: idle.phase,
        unlimited: { ...unlimited.phase, backupWallMs: unlimited.result.wallMs, bytesPut: unlimited.result.bytesPut },
        limited: { ...limited.phase, backupWallMs: limited.result.wallMs, bytesPut: limited.result.bytesPut },
      },
      rows,
    };
  } finally {
    server?.child.kill('SIGTERM');
    await seaweed?.stop();
  }
}
