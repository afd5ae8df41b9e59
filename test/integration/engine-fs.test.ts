import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { IntegrityError } from '../../src/common/errors';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { packKey } from '../../src/engine/repo/layout';
import { Repository } from '../../src/engine/repo/repository';
import { CountingStore } from '../../src/engine/store/blob-store';
import { FsStore } from '../../src/engine/store/fs-store';
import { describeTree, makeAssetTree, writeRandomFile } from '../helpers/tree-fixture';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-engine-');

const key = Buffer.alloc(32, 7);

test('engine round trip, incremental change detection, corruption and tamper', async () => {
  const src = path.join(scratch.tmp, 'src');
  makeAssetTree(src, { largeFiles: 2, largeSize: 24 * 1024 * 1024, smallFiles: 600 });
  const store = new CountingStore(new FsStore(path.join(scratch.tmp, 'repo')));
  const repo = await Repository.open(store, key, { create: true, packSize: 8 * 1024 * 1024 });

  const s1 = await backupDirect(repo, { asset: 'demo', source: src, strategy: 'incremental' }, scratch.pool);
  assert.equal(s1.stats.files, 608);
  const same = await backupDirect(repo, { asset: 'demo', source: src, strategy: 'incremental' }, scratch.pool);
  assert.deepEqual(same.tree, s1.tree, 'an unchanged source yields the same tree blobs');
  assert.equal(same.stats.bytesRead, 0);
  assert.equal(same.stats.packsWritten, 0, 'nothing but work lists and the manifest is written');
  const out = path.join(scratch.tmp, 'out');
  await restoreDirect(repo, { asset: 'demo', snapshot: { latest: true }, target: out });
  assert.deepEqual(describeTree(out), describeTree(src));

  // change ~1 MiB inside a 24 MiB checkpoint
  const ck = path.join(src, 'checkpoints', 'model-0.safetensors');
  const fd = fs.openSync(ck, 'r+');
  const patch = Buffer.alloc(1024 * 1024, 0xab);
  fs.writeSync(fd, patch, 0, patch.length, 10 * 1024 * 1024);
  fs.closeSync(fd);
  const before2 = store.bytesPut;
  const s2 = await backupDirect(repo, { asset: 'demo', source: src, strategy: 'incremental' }, scratch.pool);
  assert.equal(s2.parent, same.id);
  assert.equal(s2.stats.filesRead, 1, 'only the changed file is read');
  assert.equal(s2.stats.bytesRead, 24 * 1024 * 1024);
  const uploaded = store.bytesPut - before2;
  assert.ok(uploaded < 6 * 1024 * 1024, `uploaded ${uploaded} bytes for a 1 MiB change`);
  assert.equal(s2.stats.filesUnchanged, 607);

  const out2 = path.join(scratch.tmp, 'out2');
  await restoreDirect(repo, { snapshot: { id: s2.id }, target: out2 });
  assert.deepEqual(describeTree(out2), describeTree(src));

  // flip a byte in the pack holding the changed checkpoint's first chunk
  const tree = await repo.loadTree(s2);
  const entry = tree.find((e) => e.path === 'checkpoints/model-0.safetensors');
  assert.ok(entry && entry.type === 'file');
  const loc = (await repo.loadIndex(true)).get(entry.chunks[0]);
  assert.ok(loc);
  const packFile = path.join(scratch.tmp, 'repo', packKey(loc.pack));
  const body = fs.readFileSync(packFile);
  body[loc.offset + 5] ^= 0xff;
  fs.writeFileSync(packFile, body);
  const out3 = path.join(scratch.tmp, 'out3');
  await assert.rejects(
    restoreDirect(repo, { snapshot: { id: s2.id }, target: out3 }),
    (e: Error) => e instanceof IntegrityError && e.message.includes('checkpoints/model-0.safetensors'),
  );
  assert.equal(fs.existsSync(out3), false, 'nothing left at the target');
  assert.deepEqual(
    fs.readdirSync(scratch.tmp).filter((n) => n.includes('lepton-restore')),
    [],
    'staging removed',
  );
  // other files still restore
  await restoreDirect(repo, { snapshot: { id: s2.id }, target: out3, paths: ['configs'] });
  assert.equal(fs.readFileSync(path.join(out3, 'configs', 'train.yaml'), 'utf8'), 'lr: 0.001\nbatch: 64\n');

  // a tampered manifest is refused
  const snapFile = path.join(scratch.tmp, 'repo', 'snapshots', s1.id);
  const env = JSON.parse(fs.readFileSync(snapFile, 'utf8'));
  env.body = env.body.replace('"asset":"demo"', '"asset":"evil"');
  fs.writeFileSync(snapFile, JSON.stringify(env));
  await assert.rejects(repo.loadSnapshot(s1.id), /signature does not match/);
});

test('a full backup re-reads everything but uploads nothing new', async () => {
  const src = path.join(scratch.tmp, 'src-full');
  fs.mkdirSync(src);
  writeRandomFile(path.join(src, 'a.bin'), 3 * 1024 * 1024, 9);
  const store = new CountingStore(new FsStore(path.join(scratch.tmp, 'repo-full')));
  const repo = await Repository.open(store, key, { create: true });
  await backupDirect(repo, { asset: 'x', source: src, strategy: 'full' }, scratch.pool);
  const s = await backupDirect(repo, { asset: 'x', source: src, strategy: 'full' }, scratch.pool);
  assert.equal(s.stats.bytesRead, 3 * 1024 * 1024);
  assert.equal(s.stats.chunksNew, 0);
});
