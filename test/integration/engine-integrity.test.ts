import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import { BadInputError, IntegrityError } from '../../src/common/errors';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { planBackup } from '../../src/engine/backup/plan-backup';
import { runBackupBatch } from '../../src/engine/backup/run-batch';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { writeMark } from '../../src/engine/maintenance/marks';
import { checkReferences } from '../../src/engine/maintenance/pack-safety';
import { prune } from '../../src/engine/maintenance/prune';
import { verifyRepository } from '../../src/engine/maintenance/verify';
import { parseIndexFile, writeIndexFile } from '../../src/engine/repo/chunk-index';
import { batchKey, INDEX_PREFIX, indexKey, packKey, PRUNE_MARK_PREFIX, restoreBatchKey, snapshotKey } from '../../src/engine/repo/layout';
import { PackBuilder, sha256hex } from '../../src/engine/repo/pack';
import { Repository } from '../../src/engine/repo/repository';
import { encodeManifest, type SnapshotManifest } from '../../src/engine/repo/snapshot';
import { encodeTreeBlobs } from '../../src/engine/repo/tree';
import { abortRestore, finishRestore } from '../../src/engine/restore/finish-restore';
import { planRestore } from '../../src/engine/restore/plan-restore';
import { runRestoreBatch, type RestoreProgress } from '../../src/engine/restore/run-restore-batch';
import { FsStore } from '../../src/engine/store/fs-store';
import { snapshotStats } from '../helpers/crafted-snapshot';
import { HookStore, once } from '../helpers/hook-store';
import { describeTree, writeRandomFile } from '../helpers/tree-fixture';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-integrity-');

const HOUR = 3600_000;
const key = Buffer.alloc(32, 7);

async function fresh(name: string): Promise<{ root: string; src: string; store: FsStore; repo: Repository }> {
  const root = path.join(scratch.tmp, name);
  const src = path.join(root, 'src');
  fs.mkdirSync(src, { recursive: true });
  const store = new FsStore(path.join(root, 'repo'));
  return { root, src, store, repo: await Repository.open(store, key, { create: true, packSize: 4 * 1024 * 1024 }) };
}

async function restoresIdentically(repo: Repository, snapshotId: string, src: string, out: string): Promise<void> {
  await restoreDirect(repo, { snapshot: { id: snapshotId }, target: out });
  assert.deepEqual(describeTree(out), describeTree(src));
}

async function keysUnder(store: FsStore, prefix: string): Promise<string[]> {
  return (await store.list(prefix)).map((o) => o.key);
}

/** A snapshot of data D is forgotten and its packs marked at t0: the setting of both prune races. */
async function forgottenAndMarked(name: string) {
  const f = await fresh(name);
  writeRandomFile(path.join(f.src, 'd.bin'), 3 * 1024 * 1024, 1);
  const s1 = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'full' }, scratch.pool);
  await f.store.delete(snapshotKey(s1.id));
  const hooks = new HookStore(f.store);
  const pruneRepo = await Repository.open(hooks, key);
  const t0 = Date.now();
  const r1 = await prune(pruneRepo, { graceMs: HOUR, now: new Date(t0) });
  assert.ok(r1.marked.length >= 1, 'the forgotten snapshot’s packs are marked');
  // the next backup holds the same data plus a new file
  writeRandomFile(path.join(f.src, 'e.bin'), 1024 * 1024, 2);
  return { ...f, hooks, pruneRepo, t0 };
}

test('a backup that commits while prune reads work lists keeps every pack it references', async () => {
  const f = await forgottenAndMarked('race-commit');
  const snapshotId = 'b'.repeat(32);
  await planBackup(f.repo, { backupId: 'b', snapshotId, asset: 'a', source: f.src, strategy: 'full' });
  await runBackupBatch(f.repo, { backupId: 'b', batch: 0, pool: scratch.pool });
  // the backup commits (snapshot written, work list deleted) right when the prune lists work lists
  f.hooks.hooks.list = once(
    (p) => p.startsWith('tmp/backups'),
    async () => void (await commitBackup(f.repo, 'b')),
  );
  await prune(f.pruneRepo, { graceMs: HOUR, now: new Date(f.t0 + 2 * HOUR) });
  f.hooks.hooks = {};
  await restoresIdentically(f.repo, snapshotId, f.src, path.join(f.root, 'out'));
  assert.deepEqual((await verifyRepository(f.repo, { readData: 1 })).errors, []);
});

test('a backup that deduplicates while a marked pack passes its grace never commits a snapshot with missing data', async () => {
  const f = await forgottenAndMarked('race-grace');
  const snapshotId = 'c'.repeat(32);
  await planBackup(f.repo, { backupId: 'c', snapshotId, asset: 'a', source: f.src, strategy: 'full' });
  // the deleting prune runs after the batch has chosen what to reuse, before it records anything
  f.hooks.hooks.put = undefined;
  const batchStore = new HookStore(f.store, {
    put: once(
      (k) => k.startsWith('tmp/backups/c/partial-'),
      async () => void (await prune(f.pruneRepo, { graceMs: HOUR, now: new Date(f.t0 + 2 * HOUR) })),
    ),
  });
  const batchRepo = await Repository.open(batchStore, key, { packSize: 4 * 1024 * 1024 });
  await runBackupBatch(batchRepo, { backupId: 'c', batch: 0, pool: scratch.pool });
  await commitBackup(f.repo, 'c');
  await restoresIdentically(f.repo, snapshotId, f.src, path.join(f.root, 'out'));
  // a later prune sees the snapshot: what it needs is unmarked, nothing it needs is deleted
  await prune(f.pruneRepo, { graceMs: HOUR, now: new Date(f.t0 + 4 * HOUR) });
  await prune(f.pruneRepo, { graceMs: HOUR, now: new Date(f.t0 + 6 * HOUR) });
  await restoresIdentically(f.repo, snapshotId, f.src, path.join(f.root, 'out2'));
  assert.deepEqual((await verifyRepository(f.repo, { readData: 1 })).errors, []);
});

test('a deleting prune that finishes while the reference check reads cannot make its deleted pack look safe', async () => {
  const f = await forgottenAndMarked('race-check-reads');
  const ids = [...(await f.repo.loadIndex(true)).allEntries()].map(([id]) => id);
  assert.ok(ids.length > 0);
  // references recorded after that prune read the work lists: it deletes the pack and then its mark, right as the check reads marks
  const checkStore = new HookStore(f.store, {
    list: once(
      (p) => p.startsWith(PRUNE_MARK_PREFIX),
      async () => assert.ok((await prune(f.pruneRepo, { graceMs: HOUR, now: new Date(f.t0 + 2 * HOUR) })).deleted.length >= 1),
    ),
  });
  const checkRepo = await Repository.open(checkStore, key);
  const check = await checkReferences(checkRepo, ids, () => f.t0 + 2 * HOUR);
  assert.equal(check.unsafe.length, ids.length, 'every blob of the deleted pack is unsafe');
  assert.match(check.reason ?? '', /not in the index|no longer exist/);
});

test('commit refuses a snapshot whose data is gone or about to be deleted, and writes none', async () => {
  const f = await fresh('commit-check');
  writeRandomFile(path.join(f.src, 'd.bin'), 1024 * 1024, 3);
  await planBackup(f.repo, { backupId: 'g', snapshotId: 'd'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
  await runBackupBatch(f.repo, { backupId: 'g', batch: 0, pool: scratch.pool });
  const [pack] = await keysUnder(f.store, 'data/');
  // a prune condemned the pack an hour ago: its deletion time has passed
  await writeMark(f.store, pack.split('/').pop() as string, Date.now() - 2 * HOUR, HOUR);
  await assert.rejects(
    commitBackup(f.repo, 'g'),
    (e: Error) => e instanceof IntegrityError && /not written/.test(e.message) && /about to delete/.test(e.message),
  );
  assert.deepEqual(await f.repo.listSnapshots(), [], 'no snapshot is left that would not restore');
  assert.deepEqual(await keysUnder(f.store, 'tmp/'), []);

  await planBackup(f.repo, { backupId: 'h', snapshotId: 'e'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
  await runBackupBatch(f.repo, { backupId: 'h', batch: 0, pool: scratch.pool });
  for (const k of await keysUnder(f.store, 'data/')) await f.store.delete(k);
  await assert.rejects(commitBackup(f.repo, 'h'), /no longer exist/);
  assert.deepEqual(await f.repo.listSnapshots(), []);
});

test('prune refuses a grace period below the minimum', async () => {
  const f = await fresh('min-grace');
  await assert.rejects(prune(f.repo, { graceMs: 0 }), (e: Error) => e instanceof BadInputError && /graceHours: must be at least 1 h/.test(e.message));
  await prune(f.repo, { graceMs: 0, minGraceMs: 0 });
});

/** Pack ids are content hashes: a filler blob picks which of several equivalent packs sorts first. */
function packWith(blobs: { id: string; data: Buffer }[], salt: number) {
  const pb = new PackBuilder();
  for (const b of blobs) pb.add(b.id, 'data', b.data);
  const filler = Buffer.from(`filler ${salt}`);
  pb.add(sha256hex(filler), 'data', filler);
  return pb.finish();
}

test('a restore batch resumed with a different index writes every file whole (no zero-filled file reported verified)', async () => {
  const f = await fresh('resume-restore');
  const a = Buffer.alloc(200_000, 0x61);
  const b = Buffer.alloc(300_000, 0x62);
  const A = { id: sha256hex(a), data: a };
  const B = { id: sha256hex(b), data: b };
  // pA < pB (attempt 1 reads A first), and p0 (a second copy of B) sorts before both
  let salt = 0;
  const pA = packWith([A], salt++);
  let pB = packWith([B], salt++);
  while (pB.id < pA.id) pB = packWith([B], salt++);
  let p0 = packWith([B], salt++);
  while (p0.id > pA.id) p0 = packWith([B], salt++);
  for (const p of [pA, pB]) {
    await f.store.put(packKey(p.id), p.body);
    await writeIndexFile(f.store, [{ id: p.id, entries: p.entries }]);
  }
  const entries = [
    { type: 'file' as const, path: 'a.bin', mode: 0o644, mtimeNs: '1000000000000000000', size: a.length, chunks: [A.id] },
    { type: 'file' as const, path: 'b.bin', mode: 0o644, mtimeNs: '1000000000000000000', size: b.length, chunks: [B.id] },
  ];
  const tree = new PackBuilder();
  const treeIds = encodeTreeBlobs(entries).map((t) => {
    tree.add(sha256hex(t), 'tree', t);
    return sha256hex(t);
  });
  const tp = tree.finish();
  await f.store.put(packKey(tp.id), tp.body);
  await writeIndexFile(f.store, [{ id: tp.id, entries: tp.entries }]);
  const m: SnapshotManifest = {
    v: 1,
    id: 'f'.repeat(32),
    time: new Date().toISOString(),
    host: 'h',
    asset: 'a',
    source: '/x',
    tags: [],
    strategy: 'full',
    tree: treeIds,
    stats: snapshotStats({ files: 2, bytes: a.length + b.length, filesRead: 2 }),
  };
  await f.store.put(snapshotKey(m.id), encodeManifest(m, key));

  const target = path.join(f.root, 'target');
  await planRestore(f.repo, { restoreId: 'r', snapshot: { id: m.id }, target });
  // attempt 1 writes a.bin, then loses pack pB
  let last: RestoreProgress | undefined;
  let aWritten!: () => void;
  const aDone = new Promise<void>((r) => (aWritten = r));
  const flaky = new HookStore(f.store, {
    get: async (k) => {
      if (k !== packKey(pB.id)) return;
      await aDone;
      throw new Error('connection reset');
    },
  });
  const attempt1 = await Repository.open(flaky, key);
  const progress = (p: RestoreProgress) => {
    last = p;
    if (p.filesDone >= 1) aWritten();
  };
  await assert.rejects(runRestoreBatch(attempt1, { restoreId: 'r', batch: 0, onProgress: progress }), /connection reset/);
  assert.ok(last && last.filesDone === 1, 'attempt 1 finished a.bin only');
  // meanwhile a concurrent backup stored B again and a prune removed the duplicate pack
  await f.store.put(packKey(p0.id), p0.body);
  await writeIndexFile(f.store, [{ id: p0.id, entries: p0.entries }]);
  for (const o of await f.store.list(INDEX_PREFIX)) {
    const idx = parseIndexFile(await f.store.get(o.key), o.key.slice(INDEX_PREFIX.length));
    if (idx.packs.some((p) => p.id === pB.id)) await f.store.delete(o.key);
  }
  await f.store.delete(packKey(pB.id));
  // attempt 2 runs on another worker with the index it loads now, resuming from attempt 1's heartbeat
  const attempt2 = await Repository.open(f.store, key);
  await runRestoreBatch(attempt2, { restoreId: 'r', batch: 0, resumeCompleted: last?.completed });
  await finishRestore(attempt2, 'r');
  assert.ok(fs.readFileSync(path.join(target, 'a.bin')).equals(a));
  assert.ok(fs.readFileSync(path.join(target, 'b.bin')).equals(b), 'b.bin holds its bytes, not zeros');
});

test('work lists written without the repository key are refused, also when moved from another backup', async () => {
  const f = await fresh('signed');
  fs.writeFileSync(path.join(f.src, 'ok.txt'), 'fine');
  const secret = path.join(f.root, 'secret');
  fs.mkdirSync(secret);
  fs.writeFileSync(path.join(secret, 'shadow'), 'root:x:0:0');
  await planBackup(f.repo, { backupId: 's', snapshotId: '1'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
  // a bucket writer without the key points the batch at another folder
  const forged = { v: 1, source: secret, items: [{ entry: 1, path: 'shadow', size: 10, start: 0, end: 10 }] };
  await f.store.put(batchKey('s', 0), gzipSync(JSON.stringify(forged)));
  await assert.rejects(
    runBackupBatch(f.repo, { backupId: 's', batch: 0, pool: scratch.pool }),
    (e: Error) => e instanceof IntegrityError && /signature/.test(e.message),
  );
  // a genuine batch of another backup, copied under this one's name
  await planBackup(f.repo, { backupId: 't', snapshotId: '2'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
  await f.store.put(batchKey('s', 0), await f.store.get(batchKey('t', 0)));
  await assert.rejects(runBackupBatch(f.repo, { backupId: 's', batch: 0, pool: scratch.pool }), /moved from another name|signature/);

  await runBackupBatch(f.repo, { backupId: 't', batch: 0, pool: scratch.pool });
  await commitBackup(f.repo, 't');
  const target = path.join(f.root, 'target');
  await planRestore(f.repo, { restoreId: 'rs', snapshot: { id: '2'.repeat(32) }, target });
  const evilStaging = path.join(f.root, 'elsewhere');
  await f.store.put(restoreBatchKey('rs', 0), gzipSync(JSON.stringify({ v: 1, staging: evilStaging, snapshotId: '2'.repeat(32), items: [] })));
  await assert.rejects(runRestoreBatch(f.repo, { restoreId: 'rs', batch: 0 }), /signature/);
  assert.equal(fs.existsSync(evilStaging), false);
});

test('verify finds an index entry that disagrees with its pack', async () => {
  const f = await fresh('verify-index');
  fs.writeFileSync(path.join(f.src, 'one.txt'), 'first file');
  fs.writeFileSync(path.join(f.src, 'two.txt'), 'second file, longer');
  await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'full' }, scratch.pool);
  assert.deepEqual((await verifyRepository(f.repo, { readData: 1 })).errors, []);
  // rewrite the index so one blob points at the wrong offset of the right pack
  const objs = await f.store.list(INDEX_PREFIX);
  const files = await Promise.all(objs.map(async (o) => parseIndexFile(await f.store.get(o.key), o.key.slice(INDEX_PREFIX.length))));
  const packs = files.flatMap((x) => x.packs).map((p) => ({ id: p.id, entries: p.blobs.map(([id, type, offset, length]) => ({ id, type, offset, length })) }));
  const data = packs.find((p) => p.entries.filter((e) => e.type === 'data').length >= 2);
  assert.ok(data, 'both files share one pack');
  const [e1, e2] = data.entries.filter((e) => e.type === 'data');
  e1.offset = e2.offset;
  for (const o of objs) await f.store.delete(o.key);
  await writeIndexFile(f.store, packs);
  const repo = await Repository.open(f.store, key);
  const v = await verifyRepository(repo, { readData: 1 });
  assert.ok(
    v.errors.some((e) => e.includes(`blob ${e1.id}`) && /index disagrees with the pack/.test(e)),
    v.errors.join('\n'),
  );
});

test('a password given for a repository created without one is refused', async () => {
  const f = await fresh('plain-password');
  await assert.rejects(
    Repository.open(f.store, key, { password: 'secret' }),
    (e: Error) => e instanceof BadInputError && /created without encryption/.test(e.message),
  );
});

test('prune tolerates work lists vanishing while it reads them', async () => {
  const f = await fresh('prune-vanish');
  fs.writeFileSync(path.join(f.src, 'x.txt'), 'x');
  await planBackup(f.repo, { backupId: 'v', snapshotId: '3'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
  // the backup is abandoned (its work list removed) between prune's list and its reads
  const hooks = new HookStore(f.store, { get: async (k) => (k.startsWith('tmp/backups/') ? f.store.delete(k) : undefined) });
  const r = await prune(await Repository.open(hooks, key), { graceMs: HOUR });
  assert.equal(r.blocked, undefined);
});

test('a snapshot whose signature fails keeps its data through prune, and is reported', async () => {
  const f = await fresh('prune-tampered');
  writeRandomFile(path.join(f.src, 'd.bin'), 512 * 1024, 5);
  const s = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'full' }, scratch.pool);
  const raw = JSON.parse((await f.store.get(snapshotKey(s.id))).toString('utf8')) as { body: string; sig: string };
  raw.body = raw.body.replace(`"host":"${s.host}"`, '"host":"flipped"');
  await f.store.put(snapshotKey(s.id), Buffer.from(JSON.stringify(raw)));
  const packs = await keysUnder(f.store, 'data/');
  const t0 = Date.now();
  const r1 = await prune(f.repo, { graceMs: HOUR, now: new Date(t0) });
  const r2 = await prune(f.repo, { graceMs: HOUR, now: new Date(t0 + 2 * HOUR) });
  assert.deepEqual([r1.marked, r2.deleted], [[], []]);
  assert.equal(r2.invalidSnapshots.length, 1);
  assert.deepEqual(await keysUnder(f.store, 'data/'), packs);
  // a manifest that cannot be read at all blocks deletion instead of freeing its packs
  await f.store.put(snapshotKey(s.id), Buffer.from('garbage'));
  const r3 = await prune(f.repo, { graceMs: HOUR, now: new Date(t0 + 4 * HOUR) });
  const r4 = await prune(f.repo, { graceMs: HOUR, now: new Date(t0 + 6 * HOUR) });
  assert.ok(r3.marked.length > 0 && r4.blocked && /cannot be read/.test(r4.blocked));
  assert.deepEqual(r4.deleted, []);
  assert.deepEqual(await keysUnder(f.store, 'data/'), packs);
});

test('a commit retried after a crash removes the work list; a finished restore leaves nothing under scratch.tmp/', async () => {
  const f = await fresh('leaks');
  fs.writeFileSync(path.join(f.src, 'x.txt'), 'x');
  await planBackup(f.repo, { backupId: 'k', snapshotId: '4'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
  await runBackupBatch(f.repo, { backupId: 'k', batch: 0, pool: scratch.pool });
  const crashing = new HookStore(f.store, {
    delete: (k) => {
      if (k.startsWith('tmp/backups/')) throw new Error('worker killed');
    },
  });
  await assert.rejects(commitBackup(await Repository.open(crashing, key), 'k'), /worker killed/);
  assert.ok((await f.repo.listSnapshots()).length === 1, 'the snapshot was written before the crash');
  const m = await commitBackup(f.repo, 'k');
  assert.equal(m.id, '4'.repeat(32));
  assert.deepEqual(await keysUnder(f.store, 'tmp/'), []);
  // a retry after the commit and its cleanup both finished still answers
  assert.equal((await commitBackup(f.repo, 'k', { snapshotId: m.id })).id, m.id);

  await restoreDirect(f.repo, { snapshot: { id: m.id }, target: path.join(f.root, 'out') });
  assert.deepEqual(await keysUnder(f.store, 'tmp/'), []);
});

test('a swap whose done marker cannot be written is rolled back by the compensation, leaving nothing behind', async () => {
  const f = await fresh('done-marker');
  fs.writeFileSync(path.join(f.src, 'new.txt'), 'new');
  const s = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'full' }, scratch.pool);
  const target = path.join(f.root, 'target');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'old.txt'), 'old');
  const failing = new HookStore(f.store, {
    put: (k) => {
      if (k.endsWith('/done.json')) throw new Error('S3 unavailable');
    },
  });
  const repo = await Repository.open(failing, key);
  const plan = await planRestore(repo, { restoreId: 'dm', snapshot: { id: s.id }, target });
  for (let b = 0; b < plan.batches; b++) await runRestoreBatch(repo, { restoreId: 'dm', batch: b });
  await assert.rejects(finishRestore(repo, 'dm'), /S3 unavailable/);
  await abortRestore(repo, 'dm');
  assert.deepEqual(fs.readdirSync(target), ['old.txt']);
  assert.deepEqual(
    fs.readdirSync(f.root).filter((n) => n.includes('lepton-')),
    [],
  );
  assert.deepEqual(await keysUnder(f.store, 'tmp/'), []);
});

test('restoring onto a symlinked target fills the folder it points to and keeps the link', async () => {
  const f = await fresh('symlink-target');
  fs.writeFileSync(path.join(f.src, 'model.json'), '{}');
  const s = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'full' }, scratch.pool);
  const real = path.join(f.root, 'volumes', 'models');
  fs.mkdirSync(real, { recursive: true });
  const link = path.join(f.root, 'current');
  fs.symlinkSync(real, link);
  await restoreDirect(f.repo, { snapshot: { id: s.id }, target: link });
  assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the target is still a symlink');
  assert.deepEqual(fs.readdirSync(real), ['model.json']);
});

test('the index keeps every copy of a chunk and picks the same primary whatever the load order', async () => {
  const { ChunkIndex } = await import('../../src/engine/repo/chunk-index');
  const e = [{ id: 'a'.repeat(64), type: 'data' as const, offset: 0, length: 10 }];
  const one = new ChunkIndex();
  one.addPack('2'.repeat(64), e);
  one.addPack('1'.repeat(64), e);
  const two = new ChunkIndex();
  two.addPack('1'.repeat(64), e);
  two.addPack('2'.repeat(64), e);
  assert.equal(one.get(e[0].id)?.pack, '1'.repeat(64));
  assert.equal(two.get(e[0].id)?.pack, '1'.repeat(64));
  assert.deepEqual(
    one.locations(e[0].id).map((l) => l.pack),
    ['1'.repeat(64), '2'.repeat(64)],
  );
});

test('a snapshot forgotten, or an index rewritten, while a backup plans does not fail it', async () => {
  const f = await fresh('vanishing-reads');
  writeRandomFile(path.join(f.src, 'd.bin'), 256 * 1024, 11);
  const s1 = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'full' }, scratch.pool);
  const s2 = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'incremental' }, scratch.pool);
  // retention forgets s2 right after the listing: loading it finds nothing, the parent becomes s1
  const hooks = new HookStore(f.store, {
    get: once(
      (k) => k === snapshotKey(s2.id),
      () => f.store.delete(snapshotKey(s2.id)),
    ),
  });
  const repo = await Repository.open(hooks, key);
  const plan = await planBackup(repo, { backupId: 'p', snapshotId: '5'.repeat(32), asset: 'a', source: f.src, strategy: 'incremental' });
  assert.equal(plan.parent, s1.id);
  assert.equal(plan.filesToRead, 0, 'the older parent still lets unchanged files skip reading');

  // a prune rewrites the index (new object first, old ones deleted) between the listing and the reads
  const objs = await f.store.list(INDEX_PREFIX);
  const files = await Promise.all(objs.map(async (o) => parseIndexFile(await f.store.get(o.key), o.key.slice(INDEX_PREFIX.length))));
  const merged = files.flatMap((x) => x.packs).map((p) => ({ id: p.id, entries: p.blobs.map(([id, type, offset, length]) => ({ id, type, offset, length })) }));
  const rewrite = once(
    (k) => k.startsWith(INDEX_PREFIX),
    async () => {
      const id = await writeIndexFile(f.store, merged);
      for (const o of objs) if (o.key !== indexKey(id)) await f.store.delete(o.key);
    },
  );
  const racing = await Repository.open(new HookStore(f.store, { get: rewrite }), key);
  const idx = await racing.loadIndex();
  for (const [id] of (await f.repo.loadIndex(true)).entries()) assert.ok(idx.has(id), `chunk ${id.slice(0, 12)} still indexed`);
});
