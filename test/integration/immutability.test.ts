import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { forgetSnapshots } from '../../src/engine/maintenance/forget';
import { prune } from '../../src/engine/maintenance/prune';
import { BACKUP_TMP_PREFIX, DATA_PREFIX, packIdOf, packKey } from '../../src/engine/repo/layout';
import { Repository } from '../../src/engine/repo/repository';
import { AppendOnlyStore } from '../../src/engine/store/append-only';
import { CANARY_PREFIX, checkLockEnforcement } from '../../src/engine/store/lock-canary';
import { ObjectLockStore } from '../../src/engine/store/object-lock';
import { RetentionDroppingStore, startLockSeaweed } from '../helpers/object-lock';
import { serverScratch } from '../helpers/server-scratch';
import { describeTree, writeRandomFile } from '../helpers/tree-fixture';

const scratch = serverScratch('ldr-immut-', startLockSeaweed);

const locked = (prefix: string, who = scratch.server.admin, retentionMs = 3_600_000, clock?: () => number) =>
  new ObjectLockStore(scratch.server.store(scratch.server.lockedBucket, prefix, who), { retentionMs, mode: 'COMPLIANCE', clock });

/** Waits until the real clock (the one SeaweedFS enforces locks by) is past `ms`: no assertion depends on how long it takes. */
const passRealTime = async (ms: number) => {
  while (Date.now() <= ms) await sleep(Math.min(1000, ms - Date.now() + 50));
};

test('SeaweedFS 4.48 enforces Object Lock: the canary check passes with a credential that may delete', async () => {
  for (const mode of ['COMPLIANCE', 'GOVERNANCE'] as const) {
    const store = new ObjectLockStore(scratch.server.store(scratch.server.lockedBucket, `canary-${mode}`, scratch.server.admin), { retentionMs: 60_000, mode });
    assert.deepEqual(await checkLockEnforcement(store, { appendOnly: false }), { status: 'enforced' });
    const [canary] = await store.list(CANARY_PREFIX);
    assert.match(canary.key, /^immutability\/canary-/, 'the canary stays while its lock lasts (the probe was deleted)');
    await assert.rejects(store.delete(canary.key), /refused to delete/);
  }
});

test('the canary check refuses a store that accepts a retention and still deletes, and a bucket without Object Lock', async () => {
  const dropping = new RetentionDroppingStore({
    bucket: scratch.server.lockedBucket,
    prefix: 'dropping',
    endpoint: scratch.server.endpoint,
    region: scratch.server.region,
    forcePathStyle: true,
    credentials: scratch.server.admin,
  });
  const store = new ObjectLockStore(dropping, { retentionMs: 60_000, mode: 'COMPLIANCE' });
  await assert.rejects(checkLockEnforcement(store, { appendOnly: false }), /repository\.immutability: .*reports none: refusing to claim a protection/);
  // a store that even reports the retention it dropped: only the delete attempt tells
  store.lockOf = async (key) => ({ ...(await ObjectLockStore.prototype.lockOf.call(store, key)), until: Date.now() + 60_000 });
  await assert.rejects(checkLockEnforcement(store, { appendOnly: false }), /still let the locked version be deleted: it does not enforce Object Lock/);
  const plain = new ObjectLockStore(scratch.server.store(scratch.server.bucket, 'plain', scratch.server.admin), { retentionMs: 60_000, mode: 'COMPLIANCE' });
  await assert.rejects(
    checkLockEnforcement(plain, { appendOnly: false }),
    /repository\.immutability: the bucket of s3:\/\/lepton-test\/plain has no Object Lock configuration/,
  );
});

test('a credential without delete rights: the canary is left unverified in append-only mode, refused otherwise', async () => {
  const store = locked('canary-appender', scratch.server.appender);
  await assert.rejects(checkLockEnforcement(store, { appendOnly: false }), /repository\.appendOnly: this credential cannot delete/);
  const r = await checkLockEnforcement(store, { appendOnly: true });
  assert.equal(r.status, 'unverified');
});

test('an append-only backup with a no-delete credential succeeds, deletes nothing, restores byte-equal; prune elsewhere sweeps its work list', async () => {
  const src = path.join(scratch.tmp, 'append-src');
  fs.mkdirSync(src);
  writeRandomFile(path.join(src, 'weights.bin'), 3 * 1024 * 1024, 7);
  fs.writeFileSync(path.join(src, 'config.json'), '{"layers": 12}');
  const key = randomBytes(32);
  const appendOnly = new AppendOnlyStore(locked('append', scratch.server.appender));
  const repo = await Repository.open(appendOnly, key, { create: true, packSize: 1024 * 1024 });
  const snap = await backupDirect(repo, { asset: 'm', source: src, strategy: 'incremental', backupId: 'b-append-1' });
  const again = await backupDirect(repo, { asset: 'm', source: src, strategy: 'incremental', backupId: 'b-append-2' });
  assert.equal(again.stats.chunksNew, 0, 'the second backup deduplicates against the first');
  assert.ok((await appendOnly.list(`${BACKUP_TMP_PREFIX}b-append-1/`)).length > 0, 'the work list stays for prune');
  await assert.rejects(appendOnly.delete(packKey('0'.repeat(64))), /append-only \(repository\.appendOnly\): refusing to delete/);
  await assert.rejects(prune(repo, { graceMs: 0, minGraceMs: 0 }), /repository\.appendOnly: prune deletes/);

  const out = path.join(scratch.tmp, 'append-out');
  const admin = await Repository.open(locked('append'), key);
  await restoreDirect(admin, { snapshot: { id: snap.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(src));
  assert.deepEqual(fs.readFileSync(path.join(out, 'weights.bin')), fs.readFileSync(path.join(src, 'weights.bin')));
  const r = await prune(admin, { graceMs: 0, minGraceMs: 0 });
  assert.equal(r.workListsSwept, 2);
  assert.deepEqual(await admin.store.list(BACKUP_TMP_PREFIX), []);
});

test('prune holds locked packs until their retention ends (explicit clock), lengthens live locks, and deletes them after', async () => {
  const retentionMs = 4000;
  const store = locked('prune', scratch.server.admin, retentionMs);
  const repo = await Repository.open(store, randomBytes(32), { create: true, packSize: 1024 * 1024 });
  const a = path.join(scratch.tmp, 'prune-a');
  const b = path.join(scratch.tmp, 'prune-b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  writeRandomFile(path.join(a, 'old.bin'), 2 * 1024 * 1024, 1);
  writeRandomFile(path.join(b, 'new.bin'), 2 * 1024 * 1024, 2);
  const t0 = Date.now();
  const old = await backupDirect(repo, { asset: 'old', source: a, strategy: 'incremental' });
  const oldPacks = new Set((await store.list(DATA_PREFIX)).map((o) => packIdOf(o.key)));
  const kept = await backupDirect(repo, { asset: 'new', source: b, strategy: 'incremental' });
  const packsBefore = new Set((await store.list(DATA_PREFIX)).map((o) => o.key));

  const lockEnds = async () => Promise.all([...packsBefore].map(async (k) => (await store.lockOf(k))?.until ?? 0));
  const written = await lockEnds();
  // retain-until dates travel in whole seconds
  assert.ok(
    written.every((u) => u >= t0 + retentionMs - 1000),
    'every pack is written with the retention',
  );
  // a prune whose clock reads this finds every live pack with less than half its retention left
  const late = Math.max(...written) - retentionMs / 2 + 1;
  const first = await prune(repo, { graceMs: 0, minGraceMs: 0, now: new Date(late) });
  assert.equal(first.locksExtended, packsBefore.size, 'every live pack is locked to now + retention');
  assert.deepEqual(first.marked, []);
  assert.ok(Math.min(...(await lockEnds())) >= late + retentionMs - 1000, 'the store reports the lengthened retain-until');

  // the snapshot keeps the lock it was written with: forgetting it waits for that, not for its packs
  const early = await forgetSnapshots(repo, [old.id], Date.now());
  assert.deepEqual(early.forgotten, []);
  assert.equal(early.locked[0].id, old.id);
  await passRealTime(Math.max(...(await Promise.all([old.id].map(async (id) => (await store.lockOf(`snapshots/${id}`))?.until ?? 0)))));
  assert.deepEqual((await forgetSnapshots(repo, [old.id], Date.now())).forgotten, [old.id]);

  const mark = await prune(repo, { graceMs: 0, minGraceMs: 0, now: new Date() });
  assert.deepEqual(new Set(mark.marked), oldPacks, "the forgotten snapshot's packs are marked");
  assert.deepEqual(mark.locked, [], 'marking deletes nothing, so nothing is held yet');
  const due = await prune(repo, { graceMs: 0, minGraceMs: 0, now: new Date() });
  assert.deepEqual(due.deleted, [], 'nothing is deleted while the packs are locked');
  assert.deepEqual(new Set(due.locked.map((l) => l.pack)), new Set(mark.marked));
  for (const p of mark.marked) assert.ok(await store.head(packKey(p)), 'the held packs are still stored');
  assert.deepEqual(new Set((await store.list(DATA_PREFIX)).map((o) => o.key)), packsBefore);
  // and the store itself refuses, whoever asks: the lock is the store's, not prune's politeness
  const version = (await store.lockOf(packKey(mark.marked[0])))?.versionId;
  await assert.rejects(
    scratch.server
      .store(scratch.server.lockedBucket, 'prune', scratch.server.admin)
      .client.send(new DeleteObjectCommand({ Bucket: scratch.server.lockedBucket, Key: `prune/${packKey(mark.marked[0])}`, VersionId: version })),
    /Access Denied/,
  );

  await passRealTime(Math.max(...due.locked.map((l) => Date.parse(l.until))));
  const gone = await prune(repo, { graceMs: 0, minGraceMs: 0, now: new Date() });
  assert.deepEqual(new Set(gone.deleted), new Set(mark.marked));
  assert.deepEqual(gone.locked, []);
  for (const p of gone.deleted) assert.equal(await store.head(packKey(p)), undefined);
  const out = path.join(scratch.tmp, 'prune-out');
  await restoreDirect(repo, { snapshot: { id: kept.id }, target: out });
  assert.deepEqual(fs.readFileSync(path.join(out, 'new.bin')), fs.readFileSync(path.join(b, 'new.bin')));
});
