/**
 * Prune with repack on a repository of many small snapshots (SeaweedFS): how long the marking
 * run (which repacks) and the deleting run take, and the process's peak memory while they run.
 *   npm run build && scripts/node dist/bench/prune-repack.js [snapshots=300]
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChunkPool } from '../src/engine/chunker/pool';
import { backupDirect } from '../src/engine/direct';
import { prune, type PruneReport } from '../src/engine/maintenance/prune';
import { verifyRepository } from '../src/engine/maintenance/verify';
import { DATA_PREFIX, snapshotKey } from '../src/engine/repo/layout';
import { Repository } from '../src/engine/repo/repository';
import type { BlobStore } from '../src/engine/store/blob-store';
import { openStore } from '../src/engine/store/open-store';
import { startSeaweed } from '../test/helpers/seaweed';

const MiB = 1024 * 1024;
const HOUR = 3600_000;

async function usage(store: BlobStore): Promise<{ packs: number; bytes: number }> {
  const l = await store.list(DATA_PREFIX);
  return { packs: l.length, bytes: l.reduce((n, o) => n + o.size, 0) };
}

/** Run fn while sampling RSS and heap every 20 ms; the peaks are over the run. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakRssMiB: number; peakHeapMiB: number; baseRssMiB: number }> {
  global.gc?.();
  const base = process.memoryUsage();
  let rss = base.rss;
  let heap = base.heapUsed;
  const t = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }, 20);
  const started = performance.now();
  try {
    const value = await fn();
    return {
      value,
      ms: Math.round(performance.now() - started),
      peakRssMiB: +(rss / MiB).toFixed(1),
      peakHeapMiB: +(heap / MiB).toFixed(1),
      baseRssMiB: +(base.rss / MiB).toFixed(1),
    };
  } finally {
    clearInterval(t);
  }
}

const brief = (r: PruneReport) => ({
  snapshots: r.snapshots,
  packs: r.packs,
  repacked: r.repacked.length,
  repackedBlobs: r.repackedBlobs,
  repackedMiB: +(r.repackedBytes / MiB).toFixed(2),
  marked: r.marked.length,
  deleted: r.deleted.length,
  freedMiB: +(r.bytesFreed / MiB).toFixed(2),
});

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 300);
  const sw = await startSeaweed({ bucket: 'bench-repack' });
  const pool = new ChunkPool(2);
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-bench-repack-'));
  try {
    const store = openStore(sw.repository('repo'), sw.env);
    const repo = await Repository.open(store, Buffer.alloc(32, 3), { create: true, packSize: 4 * MiB });
    // 64 files of 16 KiB; each snapshot rewrites 8 of them, picked by a seeded generator: a blob
    // lives until its file is rewritten, so old packs end up mostly dead once retention forgets
    for (let i = 0; i < 64; i++) fs.writeFileSync(path.join(src, `f${i}.bin`), randomBytes(16 * 1024));
    let seed = 12345;
    const pick = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >>> 8) % 64;
    const ids: string[] = [];
    const t0 = performance.now();
    for (let s = 0; s < n; s++) {
      if (s % 50 === 0) console.error(`backup ${s}/${n}`);
      for (let k = 0; k < 8; k++) fs.writeFileSync(path.join(src, `f${pick()}.bin`), randomBytes(16 * 1024));
      ids.push((await backupDirect(repo, { asset: 'small', source: src, strategy: 'incremental' }, pool)).id);
    }
    const backupMs = Math.round(performance.now() - t0);
    // retention: keep the last 10 and every 50th
    const kept = ids.filter((_, s) => s >= n - 10 || s % 50 === 0);
    for (const id of ids) if (!kept.includes(id)) await store.delete(snapshotKey(id));
    const before = await usage(store);
    const now = Date.now();
    const mark = await measured(() => prune(repo, { graceMs: HOUR, now: new Date(now), repackBelow: 0.2 }));
    const del = await measured(() => prune(repo, { graceMs: HOUR, now: new Date(now + 2 * HOUR), repackBelow: 0.2 }));
    const after = await usage(store);
    const verify = await verifyRepository(repo, { readData: 1 });
    console.log(
      JSON.stringify(
        {
          snapshots: n,
          kept: kept.length,
          backupMs,
          before: { packs: before.packs, MiB: +(before.bytes / MiB).toFixed(2) },
          markAndRepack: { ms: mark.ms, peakRssMiB: mark.peakRssMiB, peakHeapMiB: mark.peakHeapMiB, baseRssMiB: mark.baseRssMiB, report: brief(mark.value) },
          delete: { ms: del.ms, peakRssMiB: del.peakRssMiB, peakHeapMiB: del.peakHeapMiB, report: brief(del.value) },
          after: { packs: after.packs, MiB: +(after.bytes / MiB).toFixed(2) },
          verifyErrors: verify.errors.length,
          maxRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
        },
        null,
        2,
      ),
    );
  } finally {
    await pool.close();
    await sw.stop();
    fs.rmSync(src, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
