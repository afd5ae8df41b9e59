import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import type { RepositoryStats } from '../../src/engine/maintenance/stats';
import { readPackHeader } from '../../src/engine/repo/pack';
import type { BlobStore } from '../../src/engine/store/blob-store';
import { openStore } from '../../src/engine/store/open-store';
import type { BackupResult } from '../../src/contracts/types';
import { failureText } from '../helpers/failure-text';
import { CLI_JS, startStack, type TestStack } from '../helpers/stack';

/**
 * `stats` against what the bucket holds: a repository with known dedup (a file twice in one
 * snapshot, an unchanged snapshot, a second asset holding a copy of the first's data), its
 * figures compared with a listing of the bucket and the packs' own headers.
 */
const MiB = 1024 * 1024;
const GIB = 1024 ** 3;
const PRICING = { storagePerGbMonth: 0.023, classes: { 'data/': 0.0125, 'snapshots/': 0.05 } };
let stack: TestStack;
let store: BlobStore;
const backups: Record<string, BackupResult> = {};

const execute = async <T>(type: string, input: unknown, id: string): Promise<T> => {
  try {
    return (await stack.client.workflow.execute(type, {
      taskQueue: stack.taskQueue,
      workflowId: id,
      args: [input],
      workflowExecutionTimeout: '5 minutes',
    })) as T;
  } catch (e) {
    (e as Error).message = failureText(e);
    throw e;
  }
};

const priceOf = (key: string) =>
  key.startsWith('data/') ? PRICING.classes['data/'] : key.startsWith('snapshots/') ? PRICING.classes['snapshots/'] : PRICING.storagePerGbMonth;

/** Unique blobs in the packs, from their headers: id -> stored length. */
async function packBlobs(): Promise<Map<string, { length: number; type: string }>> {
  const out = new Map<string, { length: number; type: string }>();
  for (const o of await store.list('data/')) {
    const id = o.key.slice(o.key.lastIndexOf('/') + 1);
    for (const b of readPackHeader(await store.get(o.key), id)) out.set(b.id, { length: b.length, type: b.type });
  }
  return out;
}

before(async () => {
  stack = await startStack({ packSizeMiB: 4 });
  const a = path.join(stack.dir, 'alpha');
  const b = path.join(stack.dir, 'beta');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  const r1 = randomBytes(MiB);
  fs.writeFileSync(path.join(a, 'weights.bin'), r1);
  fs.writeFileSync(path.join(a, 'weights-copy.bin'), r1);
  fs.writeFileSync(path.join(a, 'small.txt'), 'hello');
  fs.writeFileSync(path.join(b, 'same-weights.bin'), r1);
  const plan = YAML.parse(fs.readFileSync(stack.planFile, 'utf8')) as { repository: Record<string, unknown>; assets: unknown[] };
  plan.repository.pricing = PRICING;
  plan.assets = [
    { name: 'alpha', source: a },
    { name: 'beta', source: b },
  ];
  fs.writeFileSync(stack.planFile, YAML.stringify(plan));
  store = openStore(stack.seaweed.repository('repo'), stack.env);
  stack.startWorker();
  backups.a1 = await execute<BackupResult>('backupWorkflow', { asset: 'alpha' }, 'stats-a1');
  backups.a2 = await execute<BackupResult>('backupWorkflow', { asset: 'alpha' }, 'stats-a2');
  fs.writeFileSync(path.join(a, 'more.bin'), randomBytes(MiB / 2));
  backups.a3 = await execute<BackupResult>('backupWorkflow', { asset: 'alpha' }, 'stats-a3');
  backups.b1 = await execute<BackupResult>('backupWorkflow', { asset: 'beta' }, 'stats-b1');
});
after(async () => {
  await stack?.stop();
});

test('stats: logical and stored bytes, dedup, objects and cost equal what the bucket holds', async () => {
  const s = await execute<RepositoryStats & { summary: string; growthOmitted: number }>('statsWorkflow', {}, 'stats-1');
  const logical = { a1: 2 * MiB + 5, a2: 2 * MiB + 5, a3: 2.5 * MiB + 5, b1: MiB };
  assert.equal(s.snapshots, 4);
  assert.equal(s.logicalBytesAll, logical.a1 + logical.a2 + logical.a3 + logical.b1);
  assert.equal(s.logicalBytesLatest, logical.a3 + logical.b1);
  // the unique data: the 1 MiB once (four copies in three snapshots and two assets), "hello", the new 512 KiB
  assert.equal(s.data.rawBytes, 1.5 * MiB + 5);
  assert.equal(s.data.storedBytes, s.data.rawBytes, 'packs are not compressed: stored = raw');
  assert.equal(s.compressionRatio, 1);
  assert.equal(s.dedupRatio, s.logicalBytesAll / (1.5 * MiB + 5));

  // against the packs' own headers and the bucket's listing
  const blobs = await packBlobs();
  const inPacks = (type: string) => [...blobs.values()].filter((b) => b.type === type);
  assert.equal(s.data.count, inPacks('data').length);
  assert.equal(
    s.data.storedBytes,
    inPacks('data').reduce((n, b) => n + b.length, 0),
  );
  assert.equal(
    s.tree.storedBytes,
    inPacks('tree').reduce((n, b) => n + b.length, 0),
  );
  assert.equal(
    s.referencedPackBytes,
    [...blobs.values()].reduce((n, b) => n + b.length, 0),
    'every stored blob is referenced',
  );
  const listing = await store.list('');
  const byPrefix: Record<string, { objects: number; bytes: number }> = {};
  for (const o of listing) {
    const p = o.key.includes('/') ? o.key.slice(0, o.key.indexOf('/') + 1) : o.key;
    byPrefix[p] ??= { objects: 0, bytes: 0 };
    byPrefix[p].objects++;
    byPrefix[p].bytes += o.size;
  }
  assert.deepEqual(Object.fromEntries(Object.entries(s.objects).map(([p, v]) => [p, { objects: v.objects, bytes: v.bytes }])), byPrefix);
  assert.equal(byPrefix['snapshots/'].objects, 4);
  const dataBytes = listing.filter((o) => o.key.startsWith('data/')).reduce((n, o) => n + o.size, 0);
  assert.equal(s.totalPackBytes, dataBytes);
  assert.ok(s.referencedPackBytes < s.totalPackBytes, 'pack headers are not blob bytes');
  assert.equal(
    s.totalBytes,
    listing.reduce((n, o) => n + o.size, 0),
  );
  const cost = listing.reduce((n, o) => n + (o.size / GIB) * priceOf(o.key), 0);
  assert.ok(Math.abs(s.monthlyCost! - cost) < 1e-12, `cost ${s.monthlyCost} vs ${cost}`);

  // per asset: alpha holds all the data; beta's copy of the 1 MiB is shared, not new
  const [alpha, beta] = s.assets;
  assert.deepEqual([alpha.asset, alpha.snapshots, beta.asset, beta.snapshots], ['alpha', 3, 'beta', 1]);
  assert.equal(alpha.data.rawBytes, 1.5 * MiB + 5);
  assert.equal(alpha.dedupRatio, (logical.a1 + logical.a2 + logical.a3) / (1.5 * MiB + 5));
  assert.equal(beta.data.rawBytes, MiB);
  assert.equal(beta.latest?.id, backups.b1.id);
  assert.ok(Math.abs(beta.monthlyCost! - ((beta.data.storedBytes + beta.tree.storedBytes) / GIB) * PRICING.classes['data/']) < 1e-12);

  // growth: what each snapshot added
  assert.deepEqual(
    s.growth.map((g) => [g.id, g.newDataBytes]),
    [
      [backups.a1.id, MiB + 5],
      [backups.a2.id, 0],
      [backups.a3.id, MiB / 2],
      [backups.b1.id, 0],
    ],
  );
  assert.equal(
    s.growth.reduce((n, g) => n + g.newBytes, 0),
    s.referencedPackBytes,
  );
  assert.match(s.summary, /^4 snapshots of 2 assets: .* dedup \d+\.\d\dx, compression 1\.00x; \d+ objects, .*; ~0\.\d{4}\/month$/);
});

test("stats after a forget: the forgotten snapshot's own blobs are no longer referenced, the packs still hold them", async () => {
  const before = await execute<RepositoryStats>('statsWorkflow', {}, 'stats-2');
  await store.delete(`snapshots/${backups.b1.id}`);
  const r = spawnSync(process.execPath, [CLI_JS, '--plan', stack.planFile, '--json', 'stats'], {
    env: { ...stack.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as RepositoryStats;
  assert.equal(s.snapshots, 3);
  assert.deepEqual(
    s.assets.map((a) => a.asset),
    ['alpha'],
  );
  assert.equal(s.totalPackBytes, before.totalPackBytes, 'nothing pruned');
  assert.equal(s.data.rawBytes, before.data.rawBytes, "beta's data is alpha's too");
  const blobs = await packBlobs();
  const betaTree = before.growth.find((g) => g.id === backups.b1.id)?.newBytes ?? -1;
  assert.ok(betaTree > 0, "beta's tree blob was new");
  assert.equal(s.referencedPackBytes, before.referencedPackBytes - betaTree);
  assert.ok(s.referencedPackBytes < [...blobs.values()].reduce((n, b) => n + b.length, 0));
  const text = spawnSync(process.execPath, [CLI_JS, '--plan', stack.planFile, 'stats', '--asset', 'alpha'], {
    env: stack.env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /ASSET +SNAPSHOTS .*\nalpha +3 /);
  assert.match(text.stdout, /data\/ +\d+ /);
  const bad = spawnSync(process.execPath, [CLI_JS, '--plan', stack.planFile, 'stats', '--asset', '../x'], {
    env: stack.env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /asset: must be letters/);
});
