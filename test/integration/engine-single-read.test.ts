import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BadInputError, IntegrityError } from '../../src/common/errors';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { planBackup } from '../../src/engine/backup/plan-backup';
import { runBackupBatch } from '../../src/engine/backup/run-batch';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { writeMark } from '../../src/engine/maintenance/marks';
import { verifyRepository } from '../../src/engine/maintenance/verify';
import { DATA_PREFIX, packIdOf, packKey, snapshotKey } from '../../src/engine/repo/layout';
import { Repository } from '../../src/engine/repo/repository';
import type { TreeEntry } from '../../src/engine/repo/tree';
import { TREE_READS_AHEAD } from '../../src/engine/repo/tree-reads';
import { planRestore } from '../../src/engine/restore/plan-restore';
import { planS3Restore } from '../../src/engine/restore/s3-restore-steps';
import { openS3Location } from '../../src/engine/source/s3-location';
import { RestorePlanSchema } from '../../src/engine/restore/restore-plan';
import { readSignedJson } from '../../src/engine/repo/signed-doc';
import { restoreBatchKey, restorePlanKey } from '../../src/engine/repo/layout';
import type { ByteRange } from '../../src/engine/store/blob-store';
import { ForwardingStore } from '../../src/engine/store/forwarding-store';
import { FsStore } from '../../src/engine/store/fs-store';
import { HookStore } from '../helpers/hook-store';
import { describeTree } from '../helpers/tree-fixture';
import { craftSnapshot } from '../helpers/crafted-snapshot';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-single-read-');
const key = Buffer.alloc(32, 5);
const HOUR = 3600_000;

/** Bytes read from packs (tree blobs and chunks are read that way, nothing else). */
class PackBytes extends ForwardingStore {
  bytes = 0;
  override async get(k: string, range?: ByteRange): Promise<Buffer> {
    const b = await this.inner.get(k, range);
    if (k.startsWith(DATA_PREFIX)) this.bytes += b.length;
    return b;
  }
}

/** A repository whose store counts GETs of pack ranges and the bytes they return. */
async function counted(
  name: string,
  packSize = 4 * 1024 * 1024,
): Promise<{ root: string; src: string; store: FsStore; hooks: HookStore; repo: Repository; packReads: () => number; packBytes: () => number }> {
  const root = path.join(scratch.tmp, name);
  const src = path.join(root, 'src');
  fs.mkdirSync(src, { recursive: true });
  const store = new FsStore(path.join(root, 'repo'));
  let reads = 0;
  const bytes = new PackBytes(store);
  const hooks = new HookStore(bytes, { get: (k) => void (k.startsWith(DATA_PREFIX) && reads++) });
  const repo = await Repository.open(hooks, key, { create: true, packSize });
  const packReads = () => {
    const n = reads;
    reads = 0;
    bytes.bytes = 0;
    return n;
  };
  const packBytes = () => bytes.bytes;
  return { root, src, store, hooks, repo, packReads, packBytes };
}

/** The stored bytes of a snapshot's tree blobs. */
async function treeBytes(repo: Repository, tree: string[]): Promise<number> {
  const idx = await repo.loadIndex(true);
  return tree.reduce((s, id) => s + (idx.get(id)?.length ?? NaN), 0);
}

/** Enough small files in a few folders that the tree takes several blobs. */
function manyFiles(src: string): void {
  for (const d of ['a', 'b', 'c'])
    for (let i = 0; i < 120; i++) {
      fs.mkdirSync(path.join(src, d, `${i % 4}`), { recursive: true });
      fs.writeFileSync(path.join(src, d, `${i % 4}`, `f${i}.txt`), `${d}${i}`);
    }
}

async function planned(repo: Repository, src: string, backupId: string, snapshotId: string): Promise<void> {
  const plan = await planBackup(repo, { backupId, snapshotId, asset: 'a', source: src, strategy: 'incremental', batchFiles: 100 });
  for (let b = 0; b < plan.batches; b++) await runBackupBatch(repo, { backupId, batch: b, pool: scratch.pool });
}

test('commit never reads its tree back, and a chunk in a pack a prune is about to delete still fails it before any snapshot is written', async () => {
  const f = await counted('commit');
  manyFiles(f.src);
  await planned(f.repo, f.src, 'c1', '1'.repeat(32));
  f.packReads();
  const s1 = await commitBackup(f.repo, 'c1');
  assert.ok(s1.tree.length > 1, `${s1.tree.length} tree blobs`);
  assert.equal(f.packReads(), 0, 'the commit checks what it wrote without reading it back');

  // the next backup's chunks are recorded (work list) when a prune's mark on their pack is due
  fs.writeFileSync(path.join(f.src, 'new.bin'), 'new data');
  await planned(f.repo, f.src, 'c2', '2'.repeat(32));
  const fresh = (await f.store.list(DATA_PREFIX)).map((o) => packIdOf(o.key));
  for (const pack of fresh) await writeMark(f.store, pack, Date.now() - 2 * HOUR, HOUR);
  f.packReads();
  await assert.rejects(
    commitBackup(f.repo, 'c2'),
    (e: Error) => e instanceof IntegrityError && /not written/.test(e.message) && /about to delete/.test(e.message),
  );
  assert.equal(f.packReads(), 0);
  assert.equal(await f.store.head(snapshotKey('2'.repeat(32))), undefined, 'no snapshot was written');
  assert.deepEqual(await f.store.list('tmp/backups/c2'), []);
});

test('a tree blob whose pack a prune condemns while the snapshot is written withdraws it, without the tree read back', async () => {
  const f = await counted('tree-race');
  manyFiles(f.src);
  const s1 = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'incremental' }, scratch.pool);
  // nothing changed: the next snapshot's tree blobs are all the first one's
  await planned(f.repo, f.src, 't2', '3'.repeat(32));
  const treePack = (await f.repo.loadIndex(true)).get(s1.tree[0])?.pack as string;
  f.hooks.hooks.put = async (k) => {
    if (k === snapshotKey('3'.repeat(32))) await writeMark(f.store, treePack, Date.now() - 2 * HOUR, HOUR);
  };
  f.packReads();
  await assert.rejects(
    commitBackup(f.repo, 't2'),
    (e: Error) => e instanceof IntegrityError && /withdrawn/.test(e.message) && /about to delete/.test(e.message),
  );
  assert.equal(f.packReads(), 0);
  assert.deepEqual(
    (await f.repo.listSnapshots()).map((s) => s.id),
    [s1.id],
  );
});

test('a restore plan reads each tree blob once, neighbours in one request, with and without a paths filter', async () => {
  const f = await counted('restore-once');
  manyFiles(f.src);
  fs.symlinkSync('b/1', path.join(f.src, 'link'));
  const s = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'incremental' }, scratch.pool);
  assert.ok(s.tree.length > 1, `${s.tree.length} tree blobs`);
  const bytes = await treeBytes(f.repo, s.tree);
  f.packReads();
  const whole = await planRestore(f.repo, { restoreId: 'r1', snapshot: { id: s.id }, target: path.join(f.root, 'out1'), batchFiles: 50 });
  assert.equal(f.packBytes(), bytes, 'every tree blob read once');
  // the backup wrote the tree blobs side by side into one pack: one ranged read, not one per blob
  assert.equal(f.packReads(), 1);
  assert.equal(whole.files, 360);

  // a filter keeps the folders above what it matches, and only those
  await planRestore(f.repo, { restoreId: 'r2', snapshot: { id: s.id }, target: path.join(f.root, 'out2'), paths: ['b/2/f6*', 'c/3'], batchFiles: 50 });
  assert.equal(f.packBytes(), bytes);
  assert.equal(f.packReads(), 1);
  const plan = await readSignedJson(f.repo, restorePlanKey('r2'), RestorePlanSchema);
  assert.deepEqual(
    plan.others.map((e) => e.path),
    ['b', 'b/2', 'c', 'c/3'],
  );
  assert.equal(plan.files, 3 + 30, 'b/2/f6, f62, f66 and the 30 files of c/3');
  await restoreDirect(f.repo, { snapshot: { id: s.id }, target: path.join(f.root, 'out3') });
  assert.deepEqual(describeTree(path.join(f.root, 'out3')), describeTree(f.src));
});

test('an S3-target restore plan reads each tree blob once, as it writes the batches', async () => {
  const f = await counted('s3-plan');
  manyFiles(f.src);
  const s = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'incremental' }, scratch.pool);
  // the plan step only writes work lists into the repository: the target's endpoint is never called
  const target = openS3Location('s3://bucket/restored', { endpoint: 'http://127.0.0.1:9' });
  const bytes = await treeBytes(f.repo, s.tree);
  f.packReads();
  const puts: string[] = [];
  f.hooks.hooks.put = (k) => void puts.push(k);
  const plan = await planS3Restore(f.repo, { restoreId: 's3', snapshot: { id: s.id }, target, paths: ['a'], batchFiles: 50 });
  assert.equal(f.packBytes(), bytes, 'every tree blob read once');
  assert.equal(f.packReads(), 1, 'the tree blobs side by side in one pack: one ranged read');
  // work lists are stored as they fill, before the walk ends and the plan is written
  assert.ok(puts.indexOf(restoreBatchKey('s3', 0)) < puts.indexOf(restorePlanKey('s3')), puts.join(', '));
  assert.equal(plan.files, 120);
  assert.equal(plan.batches, 3);
  const stored = await readSignedJson(f.repo, restorePlanKey('s3'), RestorePlanSchema);
  assert.deepEqual(
    stored.others.map((e) => e.path),
    ['a', 'a/0', 'a/1', 'a/2', 'a/3'],
  );
});

test('an S3-target restore plan stores its first work list before it has read the whole tree', async () => {
  // packs of about a KiB: each tree blob in a pack of its own, so the walk takes one read per blob, more than it keeps in flight
  const f = await counted('s3-plan-stream', 1024);
  for (const d of ['a', 'b'])
    for (let i = 0; i < 600; i++) {
      fs.mkdirSync(path.join(f.src, d), { recursive: true });
      fs.writeFileSync(path.join(f.src, d, `f${i}.txt`), `${d}${i}`);
    }
  const s = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'incremental' }, scratch.pool);
  const target = openS3Location('s3://bucket/restored', { endpoint: 'http://127.0.0.1:9' });
  const events: string[] = [];
  f.hooks.hooks.get = (k) => void (k.startsWith(DATA_PREFIX) && events.push('tree read'));
  f.hooks.hooks.put = (k) => void events.push(k);
  const plan = await planS3Restore(f.repo, { restoreId: 's3s', snapshot: { id: s.id }, target, paths: ['a'], batchFiles: 50 });
  assert.equal(plan.batches, 12);
  const reads = events.filter((e) => e === 'tree read').length;
  assert.ok(reads > TREE_READS_AHEAD + 1, `${reads} tree reads for ${s.tree.length} tree blobs`);
  assert.ok(events.indexOf(restoreBatchKey('s3s', 0)) < events.lastIndexOf('tree read'), events.join(', '));
});

const craft = (repo: Repository, id: string, entries: TreeEntry[]) => craftSnapshot(repo, key, entries, { id });

const dir = (p: string): TreeEntry => ({ type: 'dir', path: p, mode: 0o755, mtimeNs: '0' });
const file = (p: string): TreeEntry => ({ type: 'file', path: p, mode: 0o644, mtimeNs: '0', size: 0, chunks: [] });

test('an unsafe path late in the tree is refused after batches were written, and nothing of the plan stays', async () => {
  const f = await counted('late-refusal');
  const entries = [...Array.from({ length: 200 }, (_, i) => file(`f${String(i).padStart(3, '0')}`)), file('g/../../escaped')];
  const id = await craft(f.repo, 'a'.repeat(32), entries);
  const target = path.join(f.root, 'out');
  await assert.rejects(
    planRestore(f.repo, { restoreId: 'late', snapshot: { id }, target, batchFiles: 10 }),
    (e: Error) => e instanceof BadInputError && /"g\/\.\.\/\.\.\/escaped".*escapes the target/.test(e.message),
  );
  assert.deepEqual(await f.store.list('tmp/restores/late'), [], 'the batch work lists written before the refusal are gone');
  assert.deepEqual(
    fs.readdirSync(f.root).filter((n) => n.includes('lepton-restore')),
    [],
  );
  assert.equal(fs.existsSync(target), false);
});

test('a tree out of tree order is still checked keyed and filtered with the folders it needs', async () => {
  const f = await counted('unordered');
  // b before a: not the order a scan writes; a duplicate of b/x comes last
  const id = await craft(f.repo, 'b'.repeat(32), [dir('b'), file('b/x'), dir('a'), file('a/y'), file('b/x')]);
  await assert.rejects(
    planRestore(f.repo, { restoreId: 'dup', snapshot: { id }, target: path.join(f.root, 'dup') }),
    (e: Error) => e instanceof BadInputError && /"b\/x" appears twice/.test(e.message),
  );
  assert.deepEqual(await f.store.list('tmp/restores/dup'), []);

  const id2 = await craft(f.repo, 'c'.repeat(32), [dir('b'), file('b/x'), dir('a'), file('a/y'), dir('a/z'), file('a/z/w')]);
  f.packReads();
  const s = await planRestore(f.repo, { restoreId: 'sel', snapshot: { id: id2 }, target: path.join(f.root, 'sel'), paths: ['a/z/w'] });
  assert.equal(s.files, 1);
  const plan = await readSignedJson(f.repo, restorePlanKey('sel'), RestorePlanSchema);
  assert.deepEqual(
    plan.others.map((e) => e.path),
    ['a', 'a/z'],
  );
});

test('verify reads a snapshot tree blob by blob: the files of the blobs before an unreadable one are still checked', async () => {
  const f = await counted('verify-stream');
  const entries = Array.from({ length: 200 }, (_, i) => ({ ...file(`f${String(i).padStart(3, '0')}`), chunks: ['e'.repeat(64)] }));
  const m = await f.repo.loadSnapshot(await craft(f.repo, 'd'.repeat(32), entries));
  assert.ok(m.tree.length >= 2, `${m.tree.length} tree blobs`);
  // the last tree blob's stored bytes are damaged: it fails its check when read
  const last = (await f.repo.loadIndex(true)).get(m.tree[m.tree.length - 1]);
  assert.ok(last);
  const body = await f.store.get(packKey(last.pack));
  body[last.offset] ^= 0xff;
  await f.store.put(packKey(last.pack), body);
  const report = await verifyRepository(f.repo, { readData: 0 });
  assert.ok(
    report.errors.some((e) => e.startsWith(`snapshot ${m.id}: file "f000" references 1 chunk(s) missing`)),
    report.errors.join('\n'),
  );
  assert.ok(
    report.errors.some((e) => e.includes(`snapshot ${m.id} tree`) && /check/.test(e)),
    report.errors.join('\n'),
  );
});
