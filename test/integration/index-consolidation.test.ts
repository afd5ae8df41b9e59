import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { planBackup } from '../../src/engine/backup/plan-backup';
import { runBackupBatch } from '../../src/engine/backup/run-batch';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { prune } from '../../src/engine/maintenance/prune';
import { verifyRepository } from '../../src/engine/maintenance/verify';
import { parseIndexFile } from '../../src/engine/repo/chunk-index';
import { DATA_PREFIX, INDEX_PREFIX, packIdOf, snapshotKey } from '../../src/engine/repo/layout';
import { Repository } from '../../src/engine/repo/repository';
import { AppendOnlyStore } from '../../src/engine/store/append-only';
import { FsStore } from '../../src/engine/store/fs-store';
import { engineScratch } from '../helpers/engine-scratch';
import { HookStore } from '../helpers/hook-store';
import { describeTree, writeRandomFile } from '../helpers/tree-fixture';

/**
 * A backup batch stores one index object per pack as it goes (a chunk is findable as soon as its
 * pack is durable) and, once all its packs are stored, replaces them by one. Readers, prune and
 * the batch's own resume must never lose a chunk over it.
 */
const scratch = engineScratch('ldr-index-consolidation-');
const HOUR = 3600_000;
const key = Buffer.alloc(32, 9);
const PACK = 1024 * 1024;

async function fresh(name: string, files = 6) {
  const root = path.join(scratch.tmp, name);
  const src = path.join(root, 'src');
  fs.mkdirSync(src, { recursive: true });
  for (let i = 0; i < files; i++) writeRandomFile(path.join(src, `f${i}.bin`), 1024 * 1024 + 4096 * i, 100 + i);
  const store = new FsStore(path.join(root, 'repo'));
  const repo = await Repository.open(store, key, { create: true, packSize: PACK });
  return { root, src, store, repo };
}

/** pack id -> how many index objects name it, and the number of index objects. */
async function indexCensus(store: FsStore): Promise<{ objects: number; named: Map<string, number> }> {
  const objects = await store.list(INDEX_PREFIX);
  const named = new Map<string, number>();
  for (const o of objects)
    for (const p of parseIndexFile(await store.get(o.key), o.key.slice(INDEX_PREFIX.length)).packs) named.set(p.id, (named.get(p.id) ?? 0) + 1);
  return { objects: objects.length, named };
}

async function packsStored(store: FsStore): Promise<string[]> {
  return (await store.list(DATA_PREFIX)).map((o) => packIdOf(o.key)).sort();
}

test('a batch of many packs leaves one index object for them; every pack is named once, the snapshot restores and the next backup finds every chunk', async () => {
  const f = await fresh('one-object');
  const s1 = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'full' }, scratch.pool);
  const packs = await packsStored(f.store);
  assert.ok(packs.length >= 6, `packs: ${packs.length}`);
  const census = await indexCensus(f.store);
  assert.deepEqual([...census.named.keys()].sort(), packs, 'every stored pack is indexed');
  assert.ok(
    [...census.named.values()].every((n) => n === 1),
    'no pack is named twice',
  );
  // the data packs of the batch share one object; the commit's tree pack has its own
  assert.ok(census.objects <= 2, `index objects: ${census.objects} for ${packs.length} packs`);

  const out = path.join(f.root, 'out');
  await restoreDirect(f.repo, { snapshot: { id: s1.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(f.src));
  const reopened = await Repository.open(new FsStore(path.join(f.root, 'repo')), key);
  const s2 = await backupDirect(reopened, { asset: 'a', source: f.src, strategy: 'full' }, scratch.pool);
  assert.equal(s2.stats.chunksNew, 0, 'a fresh open finds every chunk in the consolidated index');
  assert.deepEqual((await verifyRepository(reopened, { readData: 1 })).errors, []);
});

test('a reader that listed the per-pack index objects before they were replaced lists again and finds every chunk', async () => {
  const f = await fresh('reader-race');
  await planBackup(f.repo, { backupId: 'b', snapshotId: 'b'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
  const reader = await Repository.open(
    new HookStore(f.store, {
      // the reader has listed (old objects and the new one); it reads only once the old ones are gone
      get: async (k) => {
        if (k.startsWith(INDEX_PREFIX) && !readerListed.done) {
          readerListed.done = true;
          readerListed.resolve();
          await oldGone;
        }
      },
    }),
    key,
  );
  const readerListed = { done: false, resolve: () => {} };
  const listed = new Promise<void>((r) => (readerListed.resolve = r));
  let releaseReader!: () => void;
  const oldGone = new Promise<void>((r) => (releaseReader = r));
  let readerLoad: Promise<unknown> | undefined;
  const writer = await Repository.open(
    new HookStore(f.store, {
      delete: async (k) => {
        if (k.startsWith(INDEX_PREFIX) && !readerLoad) {
          readerLoad = reader.loadIndex(true);
          await listed;
        }
      },
    }),
    key,
    { packSize: PACK },
  );
  await runBackupBatch(writer, { backupId: 'b', batch: 0, pool: scratch.pool });
  assert.ok(readerLoad, 'the batch replaced its index objects');
  releaseReader();
  await readerLoad;
  const full = await Repository.open(f.store, key).then((r) => r.loadIndex(true));
  const seen = await reader.loadIndex();
  assert.equal(seen.size, full.size);
  for (const [id] of full.entries()) assert.ok(seen.has(id), `chunk ${id.slice(0, 12)} findable by the reader`);
});

for (const when of ['before prune lists the index', 'after prune listed the old objects, before it reads them'] as const) {
  test(`a deleting prune running while a batch replaces its index objects (${when}) deletes nothing the new snapshot needs`, async () => {
    const f = await fresh(`prune-${when.split(' ')[0]}`, 3);
    // an earlier snapshot of other data, forgotten and its packs marked: the next prune deletes them
    const old = path.join(f.root, 'old');
    fs.mkdirSync(old);
    writeRandomFile(path.join(old, 'o.bin'), 3 * PACK, 7);
    const s0 = await backupDirect(f.repo, { asset: 'a', source: old, strategy: 'full' }, scratch.pool);
    await f.store.delete(snapshotKey(s0.id));
    const t0 = Date.now();
    const pruneHooks = new HookStore(f.store);
    const pruneRepo = await Repository.open(pruneHooks, key);
    assert.ok((await prune(pruneRepo, { graceMs: HOUR, now: new Date(t0) })).marked.length >= 1);

    await planBackup(f.repo, { backupId: 'c', snapshotId: 'c'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
    let pruned: Promise<{ deleted: string[] }> | undefined;
    let releasePrune!: () => void;
    const writerDone = new Promise<void>((r) => (releasePrune = r));
    let pruneListed!: () => void;
    const listed = new Promise<void>((r) => (pruneListed = r));
    if (when !== 'before prune lists the index') {
      let held = false;
      pruneHooks.hooks.get = async (k) => {
        if (!held && k.startsWith(INDEX_PREFIX)) {
          held = true;
          pruneListed();
          await writerDone;
        }
      };
    }
    const writer = await Repository.open(
      new HookStore(f.store, {
        delete: async (k) => {
          if (!k.startsWith(INDEX_PREFIX) || pruned) return;
          pruned = prune(pruneRepo, { graceMs: HOUR, now: new Date(t0 + 2 * HOUR) });
          // first: prune runs to its end between the new object's put and the old ones' deletion
          if (when === 'before prune lists the index') await pruned;
          else await listed;
        },
      }),
      key,
      { packSize: PACK },
    );
    await runBackupBatch(writer, { backupId: 'c', batch: 0, pool: scratch.pool });
    releasePrune();
    assert.ok(pruned, 'the batch replaced its index objects');
    assert.ok((await pruned).deleted.length >= 1, 'the prune deleted the forgotten packs');
    await commitBackup(f.repo, 'c');
    const out = path.join(f.root, 'out');
    await restoreDirect(f.repo, { snapshot: { id: 'c'.repeat(32) }, target: out });
    assert.deepEqual(describeTree(out), describeTree(f.src));
    const census = await indexCensus(f.store);
    const stored = new Set(await packsStored(f.store));
    for (const p of census.named.keys()) assert.ok(stored.has(p), `pack ${p.slice(0, 12)} is indexed but missing`);
    assert.deepEqual((await verifyRepository(f.repo, { readData: 1 })).errors, []);
  });
}

test('an append-only worker keeps one index object per pack (it cannot delete)', async () => {
  const f = await fresh('append-only', 4);
  const ao = await Repository.open(new AppendOnlyStore(f.store), key, { packSize: PACK });
  await planBackup(ao, { backupId: 'd', snapshotId: 'd'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
  await runBackupBatch(ao, { backupId: 'd', batch: 0, pool: scratch.pool });
  const census = await indexCensus(f.store);
  assert.equal(census.objects, (await packsStored(f.store)).length);
});

test('a process that read the per-pack index objects before its batch replaced them reads only the new one next, not the whole index again', async () => {
  const f = await fresh('no-rebuild', 3);
  const before = path.join(f.root, 'before');
  fs.mkdirSync(before);
  writeRandomFile(path.join(before, 'b.bin'), 3 * PACK, 11);
  await backupDirect(f.repo, { asset: 'a', source: before, strategy: 'full' }, scratch.pool);
  const earlier = (await f.store.list(INDEX_PREFIX)).length;
  assert.ok(earlier >= 2, `index objects before: ${earlier}`);

  const indexGets: string[] = [];
  let dataPuts = 0;
  const hooks = new HookStore(f.store, { get: (k) => void (k.startsWith(INDEX_PREFIX) && indexGets.push(k)) });
  const repo = await Repository.open(hooks, key, { packSize: PACK });
  await repo.loadIndex();
  await planBackup(repo, { backupId: 'e', snapshotId: 'e'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
  // mid-batch, something else in the process refreshes the index and reads the packs stored so far
  hooks.hooks.put = async (k) => {
    if (k.startsWith('data/') && ++dataPuts === 3) await repo.loadIndex(true);
  };
  await runBackupBatch(repo, { backupId: 'e', batch: 0, pool: scratch.pool });
  hooks.hooks.put = undefined;
  const perPackSeen = indexGets.length;
  assert.ok(perPackSeen >= 2 + earlier, `the mid-batch refresh read per-pack objects (${perPackSeen} reads)`);
  indexGets.length = 0;
  await repo.loadIndex(true);
  assert.equal(indexGets.length, 1, `after the batch, a refresh reads the new object only: ${indexGets.join(', ')}`);
  const full = await Repository.open(f.store, key).then((r) => r.loadIndex(true));
  assert.equal((await repo.loadIndex()).size, full.size);
});

test('a reader whose listed index objects vanish one by one, as a slow replacement deletes them, still finds every chunk', async () => {
  const f = await fresh('slow-replacement', 8);
  await planBackup(f.repo, { backupId: 'd', snapshotId: 'd'.repeat(32), asset: 'a', source: f.src, strategy: 'full' });
  // keep the per-pack objects the batch deletes, to put back the moment between its merged write and its deletes
  const old = new Map<string, Buffer>();
  const writer = await Repository.open(
    new HookStore(f.store, {
      delete: async (k) => {
        if (k.startsWith(INDEX_PREFIX)) old.set(k, await f.store.get(k));
      },
    }),
    key,
    { packSize: PACK },
  );
  await runBackupBatch(writer, { backupId: 'd', batch: 0, pool: scratch.pool });
  assert.ok(old.size >= 6, `per-pack index objects replaced: ${old.size}`);
  for (const [k, body] of old) await f.store.put(k, body);

  // after each listing, the first old object the reader goes to read is deleted just before the read
  let deleteNext = false;
  let lists = 0;
  const reader = await Repository.open(
    new HookStore(f.store, {
      list: (prefix) => {
        if (prefix !== INDEX_PREFIX) return;
        lists++;
        deleteNext = true;
      },
      get: async (k) => {
        if (deleteNext && old.has(k)) {
          deleteNext = false;
          await f.store.delete(k);
        }
      },
    }),
    key,
  );
  const seen = await reader.loadIndex(true);
  for (const k of old.keys()) await f.store.delete(k).catch(() => undefined);
  const full = await Repository.open(f.store, key).then((r) => r.loadIndex(true));
  assert.ok(full.size > 0);
  assert.equal(seen.size, full.size);
  for (const [id] of full.entries()) assert.ok(seen.has(id), `chunk ${id.slice(0, 12)} findable by the reader`);
  assert.ok(lists <= 3, `the reader listed the index ${lists} times`);
});
