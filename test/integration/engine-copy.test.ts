import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { selectForCopy } from '../../src/engine/copy/copy-selection';
import { copySnapshot } from '../../src/engine/copy/copy-snapshot';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { writeMark } from '../../src/engine/maintenance/marks';
import { verifyRepository } from '../../src/engine/maintenance/verify';
import { DATA_PREFIX, packIdOf, SNAPSHOT_PREFIX, snapshotKey } from '../../src/engine/repo/layout';
import { Repository, type RepositoryOptions } from '../../src/engine/repo/repository';
import { FsStore } from '../../src/engine/store/fs-store';
import { HookStore } from '../helpers/hook-store';
import { describeTree, makeAssetTree, writeRandomFile } from '../helpers/tree-fixture';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-copy-');

/** A repository whose store counts the objects written to it. */
async function countingRepo(
  name: string,
  key: Buffer,
  opts: RepositoryOptions = {},
): Promise<{ repo: Repository; store: HookStore; puts: string[]; packGets: string[] }> {
  const puts: string[] = [];
  const packGets: string[] = [];
  const store = new HookStore(new FsStore(path.join(scratch.tmp, name)), {
    put: (k) => void puts.push(k),
    get: (k) => void (k.startsWith(DATA_PREFIX) && packGets.push(k)),
  });
  const repo = await Repository.open(store, key, { create: true, packSize: 4 * 1024 * 1024, ...opts });
  return { repo, store, puts, packGets };
}

async function roundTrip(label: string, dstOpts: RepositoryOptions, srcOpts: RepositoryOptions = {}) {
  const tree = path.join(scratch.tmp, `${label}-src`);
  makeAssetTree(tree, { largeFiles: 1, largeSize: 3 * 1024 * 1024, smallFiles: 60, seed: 7 });
  const src = await countingRepo(`${label}-a`, Buffer.alloc(32, 1), srcOpts);
  const dst = await countingRepo(`${label}-b`, Buffer.alloc(32, 2), dstOpts);
  const s1 = await backupDirect(src.repo, { asset: 'models', source: tree, strategy: 'incremental' }, scratch.pool);

  const readsBefore = src.packGets.length;
  const first = await copySnapshot(src.repo, dst.repo, s1.id);
  const firstCopyPackReads = src.packGets.length - readsBefore;
  assert.equal(first.copied, true);
  assert.equal(first.blobsCopied, first.blobs, 'an empty destination lacks every blob');
  assert.equal(dst.puts.filter((k) => k.startsWith(SNAPSHOT_PREFIX)).at(-1), `${SNAPSHOT_PREFIX}${s1.id}`, 'the manifest is the last object written');
  const out = path.join(scratch.tmp, `${label}-out`);
  await restoreDirect(dst.repo, { snapshot: { id: s1.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(tree), 'the copy restores to the source bytes and metadata');
  assert.deepEqual((await verifyRepository(dst.repo, { readData: 1 })).errors, []);

  const writes = dst.puts.length;
  const again = await copySnapshot(src.repo, dst.repo, s1.id);
  assert.equal(again.copied, false);
  assert.equal(dst.puts.length, writes, 'a second copy writes nothing');
  assert.deepEqual(await selectForCopy(src.repo, dst.repo, { allMissing: true }), [], 'nothing is missing');

  writeRandomFile(path.join(tree, 'checkpoints', 'step-2.safetensors'), 1024 * 1024, 99);
  const s2 = await backupDirect(src.repo, { asset: 'models', source: tree, strategy: 'incremental' }, scratch.pool);
  assert.deepEqual(await selectForCopy(src.repo, dst.repo, { allMissing: true }), [s2.id]);
  const packsBefore = (await dst.store.list(DATA_PREFIX)).length;
  const inc = await copySnapshot(src.repo, dst.repo, s2.id);
  assert.ok(inc.blobsCopied > 0 && inc.blobsCopied < inc.blobs / 4, `only the new file's chunks move (${inc.blobsCopied} of ${inc.blobs})`);
  assert.ok(inc.bytesUploaded < 1.3 * 1024 * 1024, `about 1 MiB written, not the tree again (${inc.bytesUploaded} B)`);
  assert.ok((await dst.store.list(DATA_PREFIX)).length - packsBefore <= 2, 'one data pack and one tree pack at most');
  const out2 = path.join(scratch.tmp, `${label}-out2`);
  await restoreDirect(dst.repo, { snapshot: { id: s2.id }, target: out2 });
  assert.deepEqual(describeTree(out2), describeTree(tree));
  return { src, dst, firstCopyPackReads };
}

test('plain to plain: stored bytes move as they are (compression kept), only what the destination lacks, and it restores', async () => {
  const { src, dst, firstCopyPackReads } = await roundTrip('plain', {});
  // merged ranged reads: about one per source pack, not one per blob (60 small files and a 3 MiB file)
  const srcPacks = (await src.store.list(DATA_PREFIX)).length;
  assert.ok(firstCopyPackReads <= srcPacks, `${firstCopyPackReads} ranged reads of ${srcPacks} source packs`);
  const a = await src.repo.loadIndex(true);
  const b = await dst.repo.loadIndex(true);
  for (const [id, loc] of a.entries()) {
    const there = b.get(id);
    if (loc.type === 'data' && there) assert.equal(there.rawLength, loc.rawLength, 'compression record kept');
  }
});

test('plain to an encrypted destination: blobs are re-identified and sealed with its key; a second copy still writes nothing', async () => {
  const { dst } = await roundTrip('crypt', { password: 'second-region' });
  assert.equal(dst.repo.codec.encrypted, true);
});

test('an interrupted copy leaves no snapshot at the destination, and the retry does not upload the packs again', async () => {
  const tree = path.join(scratch.tmp, 'crash-src');
  makeAssetTree(tree, { largeFiles: 2, largeSize: 3 * 1024 * 1024, smallFiles: 10, seed: 3 });
  const src = await countingRepo('crash-a', Buffer.alloc(32, 1));
  const dst = await countingRepo('crash-b', Buffer.alloc(32, 2));
  const s = await backupDirect(src.repo, { asset: 'models', source: tree, strategy: 'incremental' }, scratch.pool);
  let packs = 0;
  dst.store.hooks.put = (k) => {
    dst.puts.push(k);
    if (k.startsWith(DATA_PREFIX) && ++packs === 2) throw new Error('injected: link lost');
  };
  await assert.rejects(copySnapshot(src.repo, dst.repo, s.id), /injected/);
  assert.deepEqual(await dst.repo.listSnapshotIds(), [], 'no snapshot until every blob is stored');
  dst.store.hooks.put = (k) => void dst.puts.push(k);
  const before = dst.puts.length;
  const r = await copySnapshot(src.repo, dst.repo, s.id);
  assert.ok(r.blobsCopied < r.blobs, 'blobs of the pack that landed are not sent again');
  assert.ok(dst.puts.length > before);
  const out = path.join(scratch.tmp, 'crash-out');
  await restoreDirect(dst.repo, { snapshot: { id: s.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(tree));
});

test('a copy never relies on destination packs a prune has marked: it writes the blobs again', async () => {
  const tree = path.join(scratch.tmp, 'marked-src');
  makeAssetTree(tree, { largeFiles: 1, largeSize: 2 * 1024 * 1024, smallFiles: 10, seed: 5 });
  const src = await countingRepo('marked-a', Buffer.alloc(32, 1));
  const dst = await countingRepo('marked-b', Buffer.alloc(32, 2));
  const s = await backupDirect(src.repo, { asset: 'models', source: tree, strategy: 'incremental' }, scratch.pool);
  await copySnapshot(src.repo, dst.repo, s.id);
  // forgotten at the destination, and a prune marked every pack it held
  await dst.store.delete(snapshotKey(s.id));
  for (const o of await dst.store.list(DATA_PREFIX)) await writeMark(dst.store, packIdOf(o.key), Date.now(), 3600_000);
  const r = await copySnapshot(src.repo, dst.repo, s.id);
  assert.equal(r.blobsCopied, r.blobs, 'every blob is stored again outside the marked packs');
  const out = path.join(scratch.tmp, 'marked-out');
  await restoreDirect(dst.repo, { snapshot: { id: s.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(tree));
});

/** Many small files in a few folders, each a little random data: a tree of several blobs and data packs of many chunks. */
function manySmallFiles(root: string): void {
  for (const d of ['a', 'b', 'c', 'd'])
    for (let i = 0; i < 100; i++) {
      fs.mkdirSync(path.join(root, d, `${i % 5}`), { recursive: true });
      writeRandomFile(path.join(root, d, `${i % 5}`, `f${i}.bin`), 6 * 1024, i * 7 + d.charCodeAt(0));
    }
}

for (const [label, dstOpts] of [
  ['the same codec', {}],
  ['another codec', { password: 'second-region' }],
] as const) {
  test(`a copy streams the source tree (${label}): data packs land at the destination before the last tree blob is read`, async () => {
    const tree = path.join(scratch.tmp, `stream-${dstOpts.password ? 'crypt' : 'plain'}-src`);
    manySmallFiles(tree);
    const src = await countingRepo(`stream-${label}-a`, Buffer.alloc(32, 1));
    const dst = await countingRepo(`stream-${label}-b`, Buffer.alloc(32, 2), { ...dstOpts, packSize: 256 * 1024 });
    const s = await backupDirect(src.repo, { asset: 'data', source: tree, strategy: 'incremental' }, scratch.pool);
    assert.ok(s.tree.length >= 4, `the tree takes several blobs (${s.tree.length})`);
    const events: string[] = [];
    // every tree blob the copy takes from the source's walk, in order
    const walk = src.repo.treeBlobs.bind(src.repo);
    src.repo.treeBlobs = async function* (m) {
      for await (const entries of walk(m)) {
        events.push('tree read');
        yield entries;
      }
    };
    dst.store.hooks.put = (k) => void (k.startsWith(DATA_PREFIX) && events.push('pack written'));
    const r = await copySnapshot(src.repo, dst.repo, s.id, { windowChunks: 64 });
    assert.equal(events.filter((e) => e === 'tree read').length, s.tree.length, 'each source tree blob is taken once');
    assert.ok(events.indexOf('pack written') < events.lastIndexOf('tree read'), `packs are written while the tree is walked: ${events.join(', ')}`);
    assert.equal(r.blobs, 400);
    assert.equal(r.blobsCopied, 400);
    const out = path.join(scratch.tmp, `stream-${label}-out`);
    await restoreDirect(dst.repo, { snapshot: { id: s.id }, target: out });
    assert.deepEqual(describeTree(out), describeTree(tree), 'the copy restores to the source bytes and metadata');
  });
}

/**
 * A snapshot backed up at a source, and a first copy of it that fails right after its manifest is
 * written at the destination: the check's pack listing fails and, with `lost`, the withdrawal too
 * (the worker is gone). Both hooks are cleared before it returns.
 */
async function copyFailingAfterManifest(label: string, seed: number, lost: boolean) {
  const tree = path.join(scratch.tmp, `${label}-src`);
  makeAssetTree(tree, { largeFiles: 1, largeSize: 1024 * 1024, smallFiles: 10, seed });
  const src = await countingRepo(`${label}-a`, Buffer.alloc(32, 1));
  const dst = await countingRepo(`${label}-b`, Buffer.alloc(32, 2));
  const s = await backupDirect(src.repo, { asset: 'models', source: tree, strategy: 'incremental' }, scratch.pool);
  let written = false;
  dst.store.hooks.put = (k) => void (k === snapshotKey(s.id) && (written = true));
  dst.store.hooks.list = (prefix) => {
    if (written && prefix === DATA_PREFIX) throw new Error('injected: link lost during the check');
  };
  if (lost) {
    dst.store.hooks.delete = () => {
      if (written) throw new Error('injected: worker lost');
    };
  }
  await assert.rejects(copySnapshot(src.repo, dst.repo, s.id), /injected/);
  assert.equal(written, true, 'the manifest was written before the check');
  dst.store.hooks.list = undefined;
  dst.store.hooks.delete = undefined;
  return { tree, src, dst, s };
}

test('a copy whose check at the destination cannot finish withdraws the snapshot, and the retry copies it', async () => {
  const { tree, src, dst, s } = await copyFailingAfterManifest('check', 11, false);
  assert.deepEqual(await dst.repo.listSnapshotIds(), [], 'an unchecked snapshot does not stay: a retry would skip it');
  const r = await copySnapshot(src.repo, dst.repo, s.id);
  assert.equal(r.copied, true);
  assert.equal(r.blobsCopied, 0, 'the packs of the first attempt are reused');
  const out = path.join(scratch.tmp, 'check-out');
  await restoreDirect(dst.repo, { snapshot: { id: s.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(tree));
});

test('a copy stopped between its manifest and its check is checked by the retry: a prune got in the way, so it is withdrawn, not reported copied', async () => {
  const { src, dst, s } = await copyFailingAfterManifest('stopped', 13, true);
  assert.deepEqual(await dst.repo.listSnapshotIds(), [s.id], 'the unchecked manifest stayed');
  // meanwhile a prune at the destination condemned every pack (their grace is over)
  for (const o of await dst.store.list(DATA_PREFIX)) await writeMark(dst.store, packIdOf(o.key), Date.now() - 2 * 3600_000, 3600_000);
  // packs are named by their bytes: the same blobs written again land in the same condemned packs
  await assert.rejects(copySnapshot(src.repo, dst.repo, s.id), /withdrawn at the destination, run the copy again: .*only in packs a prune is about to delete/);
  assert.deepEqual(await dst.repo.listSnapshotIds(), [], 'the snapshot a prune will break is gone, not reported as copied');
});
