import '../src/common/compile-cache';
import fs from 'node:fs';
import type { RepositoryLimits } from '../src/config/limits-schema';
import { ChunkPool } from '../src/engine/chunker/pool';
import type { ChunkPriority } from '../src/engine/chunker/thread-priority';
import { backupDirect, restoreDirect } from '../src/engine/direct';
import { limitStore } from '../src/engine/limits/host-limits';
import type { Compression } from '../src/engine/repo/blob-compression';
import { Repository } from '../src/engine/repo/repository';
import { CountingStore } from '../src/engine/store/blob-store';
import { S3Store } from '../src/engine/store/s3-store';

/**
 * One engine-direct operation in its own process, so its peak RSS is its own:
 * `node engine-child.js '<json EngineJob>'`. Writes an EngineJobResult as JSON to job.resultFile.
 */
export interface EngineJob {
  op: 'backup' | 'restore';
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  keyHex: string;
  asset: string;
  packSizeMiB: number;
  password?: string;
  compression: Compression;
  source?: string;
  target?: string;
  resultFile: string;
  /** the plan's repository limits, as a worker would apply them */
  limits?: RepositoryLimits;
  /** chunk worker threads and their priority, as LEPTON_DR_CHUNK_THREADS/_NICE/_IO set them */
  chunkThreads?: number;
  chunkPriority?: ChunkPriority;
}

export interface EngineJobResult {
  /** process start to the job's start: node's own start-up and loading the modules */
  loadMs: number;
  /** Repository.open through the end of the operation, inside the process */
  engineMs: number;
  openMs: number;
  bytesPut: number;
  objectsPut: number;
  bytesGot: number;
  maxRssKiB: number;
  snapshot?: { id: string; stats: Record<string, number> };
  restore?: { files: number; bytes: number };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as EngineJob;
  const t0 = performance.now(); // since the process started (performance.timeOrigin)
  const s3 = new S3Store({
    endpoint: job.endpoint,
    region: job.region,
    bucket: job.bucket,
    prefix: job.prefix,
    forcePathStyle: true,
    credentials: { accessKeyId: job.accessKeyId, secretAccessKey: job.secretAccessKey },
  });
  const store = new CountingStore(s3);
  const repo = await Repository.open(limitStore(store, job.limits), Buffer.from(job.keyHex, 'hex'), {
    create: job.op === 'backup',
    packSize: job.packSizeMiB * 1024 * 1024,
    password: job.password,
    compression: job.compression,
  });
  const openMs = performance.now() - t0;
  const out: EngineJobResult = { loadMs: t0, engineMs: 0, openMs, bytesPut: 0, objectsPut: 0, bytesGot: 0, maxRssKiB: 0 };
  if (job.op === 'backup') {
    if (!job.source) throw new Error('backup needs source');
    const pool = job.chunkThreads || job.chunkPriority ? new ChunkPool(job.chunkThreads, job.chunkPriority) : undefined;
    const m = await backupDirect(repo, { asset: job.asset, source: job.source, strategy: 'incremental' }, pool).finally(() => pool?.close());
    out.snapshot = { id: m.id, stats: { ...m.stats } };
  } else {
    if (!job.target) throw new Error('restore needs target');
    const r = await restoreDirect(repo, { asset: job.asset, snapshot: { latest: true }, target: job.target });
    out.restore = { files: r.files, bytes: r.bytes };
  }
  out.engineMs = performance.now() - t0;
  out.bytesPut = store.bytesPut;
  out.objectsPut = store.objectsPut;
  out.bytesGot = store.bytesGot;
  out.maxRssKiB = process.resourceUsage().maxRSS;
  s3.destroy();
  fs.writeFileSync(job.resultFile, JSON.stringify(out));
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
