import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BadInputError, SourceChangedError } from '../../src/common/errors';
import { planBackup } from '../../src/engine/backup/plan-backup';
import { runBackupBatch } from '../../src/engine/backup/run-batch';
import { unverifiedBody } from '../../src/engine/repo/signed-doc';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { partialKey } from '../../src/engine/repo/layout';
import { Repository } from '../../src/engine/repo/repository';
import { CountingStore, type BlobStore } from '../../src/engine/store/blob-store';
import { FsStore } from '../../src/engine/store/fs-store';
import { describeTree, writeRandomFile } from '../helpers/tree-fixture';
import { craftSnapshot } from '../helpers/crafted-snapshot';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-faults-');

const key = Buffer.alloc(32, 3);

test('a path-escaping manifest is refused and nothing is written', async () => {
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, 'repo-evil')), key, { create: true });
  const id = await craftSnapshot(repo, key, [{ type: 'file', path: '../escaped.txt', mode: 0o644, mtimeNs: '0', size: 0, chunks: [] }], {
    data: Buffer.from('pwned'),
  });
  const target = path.join(scratch.tmp, 'evil-target');
  await assert.rejects(
    restoreDirect(repo, { snapshot: { id }, target }),
    (e: Error) => e instanceof BadInputError && /"\.\.\/escaped\.txt".*escapes the target/.test(e.message),
  );
  assert.equal(fs.existsSync(path.join(scratch.tmp, 'escaped.txt')), false);
  assert.equal(fs.existsSync(target), false);
  assert.deepEqual(
    fs.readdirSync(scratch.tmp).filter((n) => n.includes('lepton-restore')),
    [],
  );
});

test('a file that vanishes between scan and read fails the batch with its name', async () => {
  const src = path.join(scratch.tmp, 'vanish');
  fs.mkdirSync(src);
  writeRandomFile(path.join(src, 'keep.bin'), 1000, 1);
  writeRandomFile(path.join(src, 'gone.bin'), 1000, 2);
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, 'repo-vanish')), key, { create: true });
  const plan = await planBackup(repo, { backupId: 'b1', snapshotId: 'a'.repeat(32), asset: 'v', source: src, strategy: 'incremental' });
  fs.rmSync(path.join(src, 'gone.bin'));
  await assert.rejects(
    runBackupBatch(repo, { backupId: 'b1', batch: 0, pool: scratch.pool }),
    (e: Error) => e instanceof SourceChangedError && e.message.includes('gone.bin'),
  );
  assert.equal(plan.batches, 1);
  assert.deepEqual(await repo.listSnapshotIds(), [], 'no snapshot is committed');
});

test('an interrupted batch resumes after its last durable pack without re-uploading it', async () => {
  const src = path.join(scratch.tmp, 'resume');
  fs.mkdirSync(src);
  for (let i = 0; i < 10; i++) writeRandomFile(path.join(src, `ck-${i}.bin`), 6 * 1024 * 1024, 100 + i);
  const store = new CountingStore(new FsStore(path.join(scratch.tmp, 'repo-resume')));
  // the "worker dies" while uploading its fourth pack; the third is still being stored then, and
  // its index object and progress record follow it
  let packPuts = 0;
  let killed!: () => void;
  const fourthFailed = new Promise<void>((r) => (killed = r));
  // keys whose put completed, in order
  const stored: string[] = [];
  const dying: BlobStore = {
    url: store.url,
    put: async (k, body, o) => {
      const n = k.startsWith('data/') ? ++packPuts : 0;
      if (n === 4) {
        killed();
        throw new Error('worker killed');
      }
      if (n === 3) await fourthFailed;
      await store.put(k, body, o);
      stored.push(k);
    },
    get: (k, r) => store.get(k, r),
    head: (k) => store.head(k),
    list: (p) => store.list(p),
    delete: (k) => store.delete(k),
  };
  const dyingRepo = await Repository.open(dying, key, { create: true, packSize: 8 * 1024 * 1024 });
  await planBackup(dyingRepo, { backupId: 'r1', snapshotId: 'b'.repeat(32), asset: 'r', source: src, strategy: 'incremental' });
  let atGiveUp: string[] = [];
  await assert.rejects(
    runBackupBatch(dyingRepo, { backupId: 'r1', batch: 0, pool: scratch.pool }).finally(() => (atGiveUp = [...stored])),
    /worker killed/,
  );
  // nothing of the batch lands after it gave up (a retry may have begun): the third pack, its
  // index object and its progress record were stored before
  assert.equal(atGiveUp.filter((k) => k.startsWith('data/')).length, 3, `stored when the batch gave up: ${atGiveUp.join(', ')}`);
  assert.equal(atGiveUp.at(-1), partialKey('r1', 0), 'the last write before giving up is the progress record after the third pack');
  assert.deepEqual(stored, atGiveUp, 'no write after giving up');
  const partial = unverifiedBody(await store.get(partialKey('r1', 0))) as { itemsDone: number };
  const cursor = partial.itemsDone;
  assert.ok(cursor >= 2, `items covered by the three durable packs (${cursor})`);

  const repo = await Repository.open(store, key, { packSize: 8 * 1024 * 1024 });
  const uploadedBefore = store.bytesPut;
  const stats = await runBackupBatch(repo, { backupId: 'r1', batch: 0, pool: scratch.pool, resumeFrom: cursor });
  const m = await commitBackup(repo, 'r1');
  assert.equal(stats.bytesRead, (10 - cursor) * 6 * 1024 * 1024, 'files before the cursor are not read again');
  assert.ok(store.bytesPut - uploadedBefore < (10 - cursor) * 6 * 1024 * 1024 + 1024 * 1024, 'durable packs are not uploaded again');
  const out = path.join(scratch.tmp, 'resume-out');
  await restoreDirect(repo, { snapshot: { id: m.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(src));
});

test('restore picks the latest snapshot before a given time', async () => {
  const src = path.join(scratch.tmp, 'pit');
  fs.mkdirSync(src);
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, 'repo-pit')), key, { create: true });
  fs.writeFileSync(path.join(src, 'v.txt'), 'one');
  const s1 = await backupDirect(repo, { asset: 'p', source: src, strategy: 'incremental' }, scratch.pool);
  await new Promise((r) => setTimeout(r, 20));
  const between = new Date();
  await new Promise((r) => setTimeout(r, 20));
  fs.writeFileSync(path.join(src, 'v.txt'), 'two');
  await backupDirect(repo, { asset: 'p', source: src, strategy: 'incremental' }, scratch.pool);
  const out = path.join(scratch.tmp, 'pit-out');
  const r = await restoreDirect(repo, { asset: 'p', snapshot: { before: between }, target: out });
  assert.equal(r.snapshotId, s1.id);
  assert.equal(fs.readFileSync(path.join(out, 'v.txt'), 'utf8'), 'one');
  await assert.rejects(
    restoreDirect(repo, { asset: 'p', snapshot: { before: new Date('2000-01-01') }, target: path.join(scratch.tmp, 'x') }),
    /no snapshot of asset "p" before 2000/,
  );
});

test('restoring over an existing target replaces it atomically and keeps it on failure', async () => {
  const src = path.join(scratch.tmp, 'swap');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'new.txt'), 'new');
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, 'repo-swap')), key, { create: true });
  const s = await backupDirect(repo, { asset: 's', source: src, strategy: 'incremental' }, scratch.pool);
  const target = path.join(scratch.tmp, 'swap-target');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'old.txt'), 'old');
  await assert.rejects(restoreDirect(repo, { snapshot: { id: s.id }, target, paths: ['does-not-exist'] }), /nothing in snapshot/);
  assert.deepEqual(fs.readdirSync(target), ['old.txt'], 'a failed restore leaves the old target as it was');
  await restoreDirect(repo, { snapshot: { id: s.id }, target });
  assert.deepEqual(fs.readdirSync(target), ['new.txt']);
  assert.deepEqual(
    fs.readdirSync(scratch.tmp).filter((n) => n.includes('lepton-')),
    [],
  );
});
