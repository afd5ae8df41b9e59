import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ChunkPool } from '../../src/engine/chunker/pool';
import { backupDirect } from '../../src/engine/direct';
import type { AssetBuckets } from '../../src/engine/limits/host-limits';
import { LimitedStore } from '../../src/engine/limits/limited-store';
import { TokenBucket, type Clock } from '../../src/engine/limits/token-bucket';
import { Repository } from '../../src/engine/repo/repository';
import type { SnapshotManifest } from '../../src/engine/repo/snapshot';
import { finishRestore } from '../../src/engine/restore/finish-restore';
import { planRestore } from '../../src/engine/restore/plan-restore';
import { runRestoreBatch } from '../../src/engine/restore/run-restore-batch';
import { S3_PART_BYTES } from '../../src/engine/restore/s3-stage';
import { abortS3Restore, finishS3Restore, planS3Restore, runS3RestoreBatch } from '../../src/engine/restore/s3-restore-steps';
import { openS3Location, type S3Location } from '../../src/engine/source/s3-location';
import { FsStore } from '../../src/engine/store/fs-store';
import { startS3Proxy, type S3Proxy } from '../helpers/s3-proxy';
import { startSeaweed, type Seaweed } from '../helpers/seaweed';

/**
 * Restores move their bytes under the limits backups do: a restore onto an S3 prefix sends its
 * staging PUTs and parts under the repository's upload limit, and a restore of a snapshot of an
 * asset passes that asset's buckets too (reads from the repository, uploads to an S3 target). Deterministic: the buckets run on a
 * clock the test holds, so an upload waiting for its tokens stays waiting until the test lets
 * time pass; the recording proxy shows what reached the target meanwhile.
 */

/** Time stands still until `release`: a bucket in debt waits until then; afterwards nothing waits. */
class HeldClock implements Clock {
  private released = false;
  private readonly waiters: (() => void)[] = [];
  now(): number {
    return 0;
  }
  sleep(): Promise<void> {
    if (this.released) return Promise.resolve();
    return new Promise((wake) => this.waiters.push(wake));
  }
  release(): void {
    this.released = true;
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** A bucket that counts what it was asked to admit. */
class CountingBucket extends TokenBucket {
  taken = 0;
  override take(bytes: number): Promise<void> {
    this.taken += bytes;
    return super.take(bytes);
  }
}

const KiB = 1024;
const KEY = Buffer.alloc(32, 9);
let weed: Seaweed;
let proxy: S3Proxy;
let tmp: string;
let store: FsStore;
let repo: Repository;
let snap: SnapshotManifest;
const files = new Map<string, Buffer>();

before(async () => {
  weed = await startSeaweed();
  proxy = await startS3Proxy(weed.endpoint);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-s3lim-'));
  const src = path.join(tmp, 'src');
  fs.mkdirSync(src);
  // one object of a single PUT, one a multipart upload of two parts
  files.set('config.json', randomBytes(100 * KiB));
  files.set('weights.bin', randomBytes(S3_PART_BYTES + 300 * KiB));
  for (const [name, body] of files) fs.writeFileSync(path.join(src, name), body);
  store = new FsStore(path.join(tmp, 'repo'));
  repo = await Repository.open(store, KEY, { create: true, compression: 'off' });
  const pool = new ChunkPool(1);
  try {
    snap = await backupDirect(repo, { asset: 'ckpt', source: src, strategy: 'full' }, pool);
  } finally {
    await pool.close();
  }
  process.env.LIM_KEY = weed.accessKeyId;
  process.env.LIM_SECRET = weed.secretAccessKey;
});

after(async () => {
  await proxy?.stop();
  await weed?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function target(prefix: string): S3Location {
  return openS3Location(
    `s3://${weed.bucket}/${prefix}`,
    { endpoint: proxy.endpoint, region: weed.region, pathStyle: true, accessKeyIdEnv: 'LIM_KEY', secretAccessKeyEnv: 'LIM_SECRET' },
    process.env,
  );
}

async function bytesOf(loc: S3Location, key: string): Promise<Buffer> {
  const r = await loc.client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
  return Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

/** Resolves when `cond` holds, or when `done` settled first (then false). */
async function until(cond: () => boolean, done: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void done.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!cond()) {
    if (settled) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Run a restore's batch steps onto `prefix` (`steps`), then finish it and check the target holds the snapshot; on failure roll it back. */
async function restoreOntoS3(restoreId: string, prefix: string, clock: HeldClock, steps: (loc: S3Location) => Promise<void>): Promise<void> {
  const loc = target(prefix);
  try {
    await steps(loc);
    await finishS3Restore(repo, loc, restoreId);
    for (const [name, body] of files) assert.ok((await bytesOf(loc, `${loc.prefix}${name}`)).equals(body), name);
  } catch (e) {
    clock.release();
    await abortS3Restore(repo, loc, restoreId).catch(() => undefined);
    throw e;
  } finally {
    loc.client.destroy();
  }
}

const stagedBytes = () => [...files.values()].reduce((s, b) => s + b.length, 0);
const putsUnder = (prefix: string) => proxy.seen.filter((r) => r.method === 'PUT' && r.path.startsWith(`${weed.bucket}/${prefix}`));

test("a restore onto an S3 prefix sends nothing to the target before the repository's upload bucket admits it, and every staged byte passes it", async () => {
  const restoreId = 'r-repo-limit';
  const clock = new HeldClock();
  const bucket = new CountingBucket(64 * KiB, undefined, clock);
  // the same repository behind the plan's upload limit (the plan is written by an unlimited worker)
  const limited = await Repository.open(new LimitedStore(store, { upload: [bucket], download: [] }), KEY);
  await restoreOntoS3(restoreId, 'served/model/', clock, async (loc) => {
    const plan = await planS3Restore(repo, { restoreId, snapshot: { id: snap.id }, target: loc });
    proxy.seen.length = 0;
    const batch = runS3RestoreBatch(limited, loc, { restoreId, batch: 0 });
    assert.ok(await until(() => bucket.waiting > 0, batch), 'the staging uploads wait for the upload bucket (the batch ran without waiting)');
    assert.deepEqual(putsUnder(plan.staging), [], 'nothing was uploaded while the bucket held its tokens');
    clock.release();
    await batch;
    assert.equal(bucket.taken, stagedBytes(), 'every staged byte passed the bucket');
    assert.equal(putsUnder(plan.staging).length, 1 + 2, 'one PUT and two parts');
  });
});

/** Buckets for the snapshot's asset only, on a held clock: any other asset name gets none. */
function assetBuckets(clock: Clock): { upload: CountingBucket; download: CountingBucket; of: (a: string) => AssetBuckets } {
  const upload = new CountingBucket(64 * KiB, undefined, clock);
  const download = new CountingBucket(64 * KiB, undefined, clock);
  return { upload, download, of: (a) => (a === snap.asset ? { upload, download } : {}) };
}

test("a folder restore of an asset's snapshot reads the repository through the asset's download bucket", async () => {
  const restoreId = 'r-asset-folder';
  const dest = path.join(tmp, 'restored-folder');
  const clock = new HeldClock();
  const b = assetBuckets(clock);
  try {
    await planRestore(repo, { restoreId, snapshot: { id: snap.id }, target: dest });
    const batch = runRestoreBatch(repo, { restoreId, batch: 0, assetLimits: b.of });
    assert.ok(await until(() => b.download.waiting > 0, batch), "the pack reads wait for the asset's download bucket (the batch ran without waiting)");
    clock.release();
    await batch;
    assert.ok(b.download.taken >= stagedBytes(), `every chunk read passed the asset's bucket (${b.download.taken} of ${stagedBytes()} bytes)`);
    assert.equal(b.upload.taken, 0, 'a folder restore uploads nothing');
    await finishRestore(repo, restoreId);
    for (const [name, body] of files) assert.ok(fs.readFileSync(path.join(dest, name)).equals(body), name);
  } finally {
    clock.release();
  }
});

test("a restore of an asset's snapshot onto an S3 prefix uploads through the asset's upload bucket and reads through its download bucket", async () => {
  const restoreId = 'r-asset-s3';
  const clock = new HeldClock();
  const b = assetBuckets(clock);
  await restoreOntoS3(restoreId, 'served/asset/', clock, async (loc) => {
    const plan = await planS3Restore(repo, { restoreId, snapshot: { id: snap.id }, target: loc });
    // reads pass a bucket whose time runs: the upload bucket alone holds the batch
    const running = new HeldClock();
    running.release();
    const reads = new CountingBucket(64 * KiB, undefined, running);
    const of = (a: string) => ({ ...b.of(a), ...(a === snap.asset ? { download: reads } : {}) });
    proxy.seen.length = 0;
    const batch = runS3RestoreBatch(repo, loc, { restoreId, batch: 0, assetLimits: of });
    assert.ok(await until(() => b.upload.waiting > 0, batch), "the staging uploads wait for the asset's upload bucket (the batch ran without waiting)");
    assert.deepEqual(putsUnder(plan.staging), [], 'nothing was uploaded while the bucket held its tokens');
    clock.release();
    await batch;
    assert.equal(b.upload.taken, stagedBytes(), "every staged byte passed the asset's upload bucket");
    assert.ok(reads.taken >= stagedBytes(), "every chunk read passed the asset's download bucket");
  });
});
