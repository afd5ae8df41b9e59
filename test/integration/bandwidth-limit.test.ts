import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ChunkTask, ChunkTaskResult } from '../../src/engine/chunker/chunk-task';
import { ChunkPool } from '../../src/engine/chunker/pool';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { limitStore } from '../../src/engine/limits/host-limits';
import { LimitedStore } from '../../src/engine/limits/limited-store';
import { TokenBucket } from '../../src/engine/limits/token-bucket';
import { Repository } from '../../src/engine/repo/repository';
import { CountingStore, type ByteRange, type PutOptions } from '../../src/engine/store/blob-store';
import { S3Store } from '../../src/engine/store/s3-store';
import { openS3Location } from '../../src/engine/source/s3-location';
import { S3Source } from '../../src/engine/source/s3-source';
import { openConfiguredRepository } from '../../src/worker/open-repository';
import { startSeaweed, type Seaweed } from '../helpers/seaweed';

/**
 * Bandwidth limits against a real SeaweedFS, measured by the bytes that reach the store below
 * the limit and when. Only upper bounds are asserted (what the limit forbids), never a speed:
 * a slow machine moves fewer bytes per second, which passes.
 */
const MiB = 1024 * 1024;
const LIMIT = MiB;
const DATA = 4 * MiB;

interface Crossing {
  t: number;
  key?: string;
  bytes: number;
  /** a whole-object get: charged on arrival, so it may lead the bound by its own size */
  whole?: boolean;
}

/** Records every put when it is sent and every get when its bytes arrived. */
class RecordingStore extends CountingStore {
  puts: Crossing[] = [];
  gets: Crossing[] = [];
  override put(key: string, body: Buffer, opts?: PutOptions): Promise<void> {
    this.puts.push({ t: performance.now(), key, bytes: body.length });
    return super.put(key, body, opts);
  }
  override async get(key: string, range?: ByteRange): Promise<Buffer> {
    const b = await super.get(key, range);
    this.gets.push({ t: performance.now(), bytes: b.length, whole: !range });
    return b;
  }
}

/**
 * From t0 on, the bytes seen never run ahead of rate * (t - t0) + burst (plus the whole-object
 * gets charged after they arrived), and the whole transfer averages at most 1.1 x the rate.
 */
function assertHeld(what: string, seen: Crossing[], t0: number, rate: number): { bytes: number; perSec: number } {
  const burst = rate / 10;
  let sum = 0;
  let wholeAhead = 0;
  for (const c of seen) {
    sum += c.bytes;
    if (c.whole) wholeAhead = Math.max(wholeAhead, c.bytes);
    const allowed = (rate * (c.t - t0)) / 1000 + burst + wholeAhead;
    assert.ok(sum <= allowed, `${what}: ${sum} bytes by ${(c.t - t0).toFixed(0)} ms, the limit allows ${allowed.toFixed(0)}`);
  }
  const last = seen[seen.length - 1];
  const perSec = (sum * 1000) / (last.t - t0);
  assert.ok(perSec <= rate * 1.1, `${what}: ${(perSec / MiB).toFixed(3)} MiB/s over the transfer, limit ${(rate / MiB).toFixed(3)} MiB/s`);
  return { bytes: sum, perSec };
}

let weed: Seaweed;
let tmp: string;
let pool: ChunkPool;
const s3 = (prefix: string) =>
  new S3Store({
    endpoint: weed.endpoint,
    region: weed.region,
    bucket: weed.bucket,
    prefix,
    forcePathStyle: true,
    credentials: { accessKeyId: weed.accessKeyId, secretAccessKey: weed.secretAccessKey },
  });

before(async () => {
  weed = await startSeaweed();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-limit-'));
  pool = new ChunkPool(2);
  const src = path.join(tmp, 'src');
  fs.mkdirSync(src);
  // incompressible: what is read is what is uploaded
  fs.writeFileSync(path.join(src, 'shard-1.bin'), randomBytes(DATA / 2));
  fs.writeFileSync(path.join(src, 'shard-2.bin'), randomBytes(DATA / 2));
});

after(async () => {
  await pool?.close();
  await weed?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('a backup under an asset upload limit and a restore under the repository download limit move at most the limit, per time window', async () => {
  const bucket = s3('limited');
  const rec = new RecordingStore(bucket);
  // the repository limits downloads only; uploads are held by the asset's own bucket
  const store = limitStore(rec, { downloadBytesPerSec: LIMIT, maxRequests: 4 });
  const repo = await Repository.open(store, Buffer.alloc(32, 5), { create: true, packSize: 4 * MiB, compression: 'off' });
  rec.puts = [];
  rec.gets = [];
  const t0 = performance.now();
  const snap = await backupDirect(
    repo,
    { asset: 'ckpt', source: path.join(tmp, 'src'), strategy: 'full', assetLimits: { upload: new TokenBucket(LIMIT) } },
    pool,
  );
  // the asset's bucket holds what its batches upload: packs and their index files (the work list
  // documents are the repository's, unlimited here; the commit's tree pack is a few hundred bytes)
  const up = assertHeld(
    'backup upload',
    rec.puts.filter((c) => c.key?.startsWith('data/') || c.key?.startsWith('index/')),
    t0,
    LIMIT,
  );
  assert.ok(up.bytes >= DATA, `the backup uploaded ${up.bytes} bytes, at least the ${DATA} of data`);

  const fresh = await Repository.open(store, Buffer.alloc(32, 5));
  rec.gets = [];
  const t1 = performance.now();
  const target = path.join(tmp, 'restored');
  await restoreDirect(fresh, { snapshot: { id: snap.id }, target });
  const down = assertHeld('restore download', rec.gets, t1, LIMIT);
  assert.ok(down.bytes >= DATA, `the restore read ${down.bytes} bytes`);
  for (const f of ['shard-1.bin', 'shard-2.bin']) assert.ok(fs.readFileSync(path.join(target, f)).equals(fs.readFileSync(path.join(tmp, 'src', f))), f);
  bucket.destroy();
});

/** Every piece of every GetObject body through a client, when it arrived. */
function recordGets(client: S3Client): Crossing[] {
  const seen: Crossing[] = [];
  client.middlewareStack.add(
    (next, ctx) => async (args) => {
      const out = await next(args);
      const o = out.output as { Body?: AsyncIterable<Buffer> };
      if (ctx.commandName === 'GetObjectCommand' && o.Body) {
        const body = o.Body;
        o.Body = (async function* () {
          for await (const piece of body) {
            seen.push({ t: performance.now(), bytes: piece.length });
            yield piece;
          }
        })();
      }
      return out;
    },
    { step: 'initialize', name: 'testRecordGets' },
  );
  return seen;
}

test('an S3-prefix source is read at most at the download limit', async () => {
  const loc = openS3Location(`s3://${weed.bucket}/source`, { endpoint: weed.endpoint, region: weed.region, pathStyle: true }, weed.env);
  for (let i = 0; i < 3; i++) {
    await loc.client.send(new PutObjectCommand({ Bucket: weed.bucket, Key: `source/obj-${i}.bin`, Body: randomBytes(MiB), ContentLength: MiB }));
  }
  const reader = new S3Source(loc, [new TokenBucket(LIMIT)]);
  const repo = await Repository.open(s3('from-s3'), Buffer.alloc(32, 6), { create: true, packSize: 4 * MiB });
  const seen = recordGets(loc.client);
  const t0 = performance.now();
  await backupDirect(repo, { asset: 'ds', source: loc.url, reader, strategy: 'full' }, pool);
  const got = assertHeld('source download', seen, t0, LIMIT);
  assert.equal(got.bytes, 3 * MiB);
  (repo.store as S3Store).destroy();
  loc.client.destroy();
});

/** Counts the tasks that arrive with their bytes already read (an s3:// source's). */
class CountingPool extends ChunkPool {
  withData = 0;
  override run(task: ChunkTask, data?: ArrayBuffer): Promise<ChunkTaskResult> {
    if (data) this.withData++;
    return super.run(task, data);
  }
}

test("an S3-prefix source's bytes are chunked and hashed on the pool's threads (their lowered priority), not the main thread", async () => {
  const loc = openS3Location(`s3://${weed.bucket}/pooled`, { endpoint: weed.endpoint, region: weed.region, pathStyle: true }, weed.env);
  const bodies = [randomBytes(3 * MiB), randomBytes(10), Buffer.alloc(0)];
  for (const [i, body] of bodies.entries()) {
    await loc.client.send(new PutObjectCommand({ Bucket: weed.bucket, Key: `pooled/obj-${i}.bin`, Body: body, ContentLength: body.length }));
  }
  const counting = new CountingPool(1);
  try {
    const repo = await Repository.open(s3('pooled-repo'), Buffer.alloc(32, 7), { create: true, packSize: 4 * MiB });
    const snap = await backupDirect(repo, { asset: 'ds', source: loc.url, reader: new S3Source(loc), strategy: 'full' }, counting);
    assert.ok(counting.withData > 0, 'the source handed its bytes to the pool');
    const target = path.join(tmp, 'pooled-restored');
    await restoreDirect(repo, { snapshot: { id: snap.id }, target });
    for (const [i, body] of bodies.entries()) assert.ok(fs.readFileSync(path.join(target, `obj-${i}.bin`)).equals(body), `obj-${i}.bin`);
    (repo.store as S3Store).destroy();
  } finally {
    await counting.close();
    loc.client.destroy();
  }
});

test('a plan repository with limits opens behind them, one without is the store itself', async () => {
  const env = { ...weed.env, LDR_KEY: '00'.repeat(32) } as NodeJS.ProcessEnv;
  const limited = await openConfiguredRepository(
    { ...weed.repository('wired'), keyEnv: 'LDR_KEY', limits: { uploadBytesPerSec: LIMIT, maxRequests: 2 } },
    env,
    'repository',
  );
  assert.ok(limited.store instanceof LimitedStore);
  const plain = await openConfiguredRepository({ ...weed.repository('wired'), keyEnv: 'LDR_KEY' }, env, 'repository');
  assert.ok(plain.store instanceof S3Store);
  for (const r of [limited, plain]) ((r.store instanceof LimitedStore ? r.store.inner : r.store) as S3Store).destroy();
});
