import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Repository } from '../../src/engine/repo/repository';
import { publishS3, rollbackS3Publish, s3AsideFor, s3StagingFor, S3_COPY_LIMITS, type CopyLimits } from '../../src/engine/restore/s3-publish';
import { openS3Location, type S3Location } from '../../src/engine/source/s3-location';
import { listPrefix } from '../../src/engine/source/s3-source';
import { FsStore } from '../../src/engine/store/fs-store';
import { startS3Proxy } from '../helpers/s3-proxy';
import { startSeaweed, type Seaweed } from '../helpers/seaweed';

/**
 * S3 copies an object in one request only up to 5 GiB, so publishing (and rolling back) a
 * restored checkpoint bigger than that must copy it in ranged parts. The real limit would need
 * objects of 5 GiB here; the limits are lowered instead (same code path, same requests):
 * objects over 8 MiB go as multipart uploads of 8 MiB part copies.
 */
const LIMITS: CopyLimits = { singleMaxBytes: 8 * 1024 * 1024, partBytes: 8 * 1024 * 1024 };
const MiB = 1024 * 1024;

let weed: Seaweed;
let tmp: string;
let repo: Repository;
let loc: S3Location;

function countCommands(client: S3Client): Map<string, number> {
  const seen = new Map<string, number>();
  client.middlewareStack.add(
    (next, ctx) => (args) => {
      const name = ctx.commandName ?? 'unknown';
      seen.set(name, (seen.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'testCountCommands' },
  );
  return seen;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
async function shaOf(key: string): Promise<string> {
  const r = await loc.client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
  return sha(Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()));
}
const put = (key: string, body: Buffer) => loc.client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: key, Body: body }));

before(async () => {
  weed = await startSeaweed();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-s3pub-'));
  repo = await Repository.open(new FsStore(path.join(tmp, 'repo')), Buffer.alloc(32, 5), { create: true });
  process.env.PUB_KEY = weed.accessKeyId;
  process.env.PUB_SECRET = weed.secretAccessKey;
  loc = openS3Location(
    `s3://${weed.bucket}/serving/model`,
    { endpoint: weed.endpoint, region: weed.region, pathStyle: true, accessKeyIdEnv: 'PUB_KEY', secretAccessKeyEnv: 'PUB_SECRET' },
    process.env,
  );
});

after(async () => {
  loc?.client.destroy();
  await weed?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("the default copy limit is S3's own: one request up to 5 GiB", () => {
  assert.equal(S3_COPY_LIMITS.singleMaxBytes, 5 * 1024 ** 3);
  assert.ok(S3_COPY_LIMITS.partBytes >= 5 * MiB, 'parts of at least 5 MiB (S3 minimum)');
});

test('an object over the single-copy limit is published and rolled back in ranged part copies, byte for byte', async () => {
  const restoreId = 'r-large';
  const old = randomBytes(20 * MiB + 123);
  const fresh = randomBytes(27 * MiB + 7);
  const small = randomBytes(4096);
  await put(`${loc.prefix}weights.safetensors`, old);
  const staging = s3StagingFor(loc.prefix, restoreId);
  await put(`${staging}weights.safetensors`, fresh);
  await put(`${staging}config.json`, small);

  const seen = countCommands(loc.client);
  const files = [
    { path: 'weights.safetensors', size: fresh.length },
    { path: 'config.json', size: small.length },
  ];
  await publishS3(repo, restoreId, loc, staging, files, LIMITS);
  assert.equal(await shaOf(`${loc.prefix}weights.safetensors`), sha(fresh), 'the published checkpoint is the staged one');
  assert.equal(await shaOf(`${loc.prefix}config.json`), sha(small));
  assert.equal(await shaOf(`${s3AsideFor(loc.prefix, restoreId)}weights.safetensors`), sha(old), 'the old checkpoint was copied aside whole');
  // aside: ceil(20 MiB / 8 MiB) = 3 parts; publish: ceil(27 MiB / 8 MiB) = 4 parts; config.json is one CopyObject
  assert.equal(seen.get('UploadPartCopyCommand'), 3 + 4);
  assert.equal(seen.get('CompleteMultipartUploadCommand'), 2);
  assert.equal(seen.get('CopyObjectCommand'), 1);

  seen.clear();
  await rollbackS3Publish(repo, restoreId, loc, LIMITS);
  const now = await listPrefix(loc, loc.prefix);
  assert.deepEqual(
    now.map((o) => o.Key),
    [`${loc.prefix}weights.safetensors`],
    'the target holds what it held before',
  );
  assert.equal(await shaOf(`${loc.prefix}weights.safetensors`), sha(old), 'the old checkpoint is back, byte for byte');
  assert.equal(seen.get('UploadPartCopyCommand'), 3, 'copied back in parts too');
  assert.equal((await listPrefix(loc, s3AsideFor(loc.prefix, restoreId))).length, 0, 'no aside objects left');
  assert.equal((await listPrefix(loc, staging)).length, 0, 'no staging objects left');
});

test('a rollback lists the aside copies once: their sizes for the copies back serve their removal too', async () => {
  const restoreId = 'r-one-listing';
  const proxy = await startS3Proxy(weed.endpoint);
  const via = openS3Location(
    `s3://${weed.bucket}/serving/other`,
    { endpoint: proxy.endpoint, region: weed.region, pathStyle: true, accessKeyIdEnv: 'PUB_KEY', secretAccessKeyEnv: 'PUB_SECRET' },
    process.env,
  );
  try {
    const old = randomBytes(1000);
    await via.client.send(new PutObjectCommand({ Bucket: via.bucket, Key: `${via.prefix}a.bin`, Body: old }));
    const staging = s3StagingFor(via.prefix, restoreId);
    await via.client.send(new PutObjectCommand({ Bucket: via.bucket, Key: `${staging}b.bin`, Body: randomBytes(10) }));
    await publishS3(repo, restoreId, via, staging, [{ path: 'b.bin', size: 10 }]);
    proxy.seen.length = 0;
    await rollbackS3Publish(repo, restoreId, via);
    const aside = s3AsideFor(via.prefix, restoreId);
    const listings = proxy.seen.filter((r) => r.method === 'GET' && r.query.includes('list-type'));
    const prefixes = listings.map((r) => new URLSearchParams(r.query).get('prefix'));
    assert.equal(prefixes.filter((p) => p === aside).length, 1, `the aside prefix is listed once (listings: ${prefixes.join(', ')})`);
    assert.equal((await listPrefix(via, aside)).length, 0, 'and its copies are all removed');
    const now = await listPrefix(via, via.prefix);
    assert.deepEqual(
      now.map((o) => o.Key),
      [`${via.prefix}a.bin`],
      'the target holds what it held before',
    );
  } finally {
    via.client.destroy();
    await proxy.stop();
  }
});
