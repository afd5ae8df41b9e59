import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { IntegrityError } from '../../src/common/errors';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { planBackup } from '../../src/engine/backup/plan-backup';
import { runBackupBatch } from '../../src/engine/backup/run-batch';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import type { BlobLocation } from '../../src/engine/repo/chunk-index';
import { Repository, type RepositoryOptions } from '../../src/engine/repo/repository';
import type { SnapshotManifest } from '../../src/engine/repo/snapshot';
import { planRestore } from '../../src/engine/restore/plan-restore';
import { runRestoreBatch } from '../../src/engine/restore/run-restore-batch';
import { FsStore } from '../../src/engine/store/fs-store';
import { engineScratch } from '../helpers/engine-scratch';
import { describeTree, writeRandomFile } from '../helpers/tree-fixture';

// Backup seals new chunks (ChunkPool.seal) and restore opens and checks each fetched pack range
// (ChunkPool.openRange) in the engine's threads: the bytes written must be those of the snapshot
// either way, and a corrupt blob must still stop the restore naming its file and chunk.
const scratch = engineScratch('ldr-engine-threads-');
const key = Buffer.alloc(32, 4);

/** Text that compresses (stored compressed), random bytes that do not (stored as is), small and multi-chunk files. */
function writeMixedTree(root: string): void {
  fs.mkdirSync(path.join(root, 'logs'), { recursive: true });
  for (let f = 0; f < 6; f++) {
    const text = Array.from({ length: 400 * (f + 1) }, (_, i) => `step=${i} loss=${(1 / (i + f + 1)).toFixed(6)} file=${f}\n`).join('');
    fs.writeFileSync(path.join(root, 'logs', `train-${f}.log`), text);
  }
  fs.mkdirSync(path.join(root, 'small'));
  writeRandomFile(path.join(root, 'weights.bin'), 3 * 1024 * 1024 + 17, 5);
  for (let f = 0; f < 20; f++) writeRandomFile(path.join(root, 'small', `part-${f}.bin`), 100 + f * 997, 100 + f);
  fs.writeFileSync(path.join(root, 'empty'), '');
}

async function repoWith(name: string, opts: RepositoryOptions): Promise<{ repo: Repository; snap: SnapshotManifest; src: string }> {
  const src = path.join(scratch.tmp, `${name}-src`);
  writeMixedTree(src);
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, `${name}-repo`)), key, { create: true, ...opts });
  const snap = await backupDirect(repo, { asset: name, source: src, strategy: 'incremental' }, scratch.pool);
  return { repo, snap, src };
}

async function locations(repo: Repository, snap: SnapshotManifest, file: string): Promise<BlobLocation[]> {
  const e = (await repo.loadTree(snap)).find((x) => x.path === file);
  assert.ok(e && e.type === 'file', `${file} is in the snapshot`);
  const idx = await repo.loadIndex(true);
  return e.chunks.map((c) => idx.get(c) as BlobLocation);
}

const CASES: { name: string; opts: RepositoryOptions; compressed: boolean }[] = [
  { name: 'plain-off', opts: { compression: 'off' }, compressed: false },
  { name: 'plain-auto', opts: { compression: 'auto' }, compressed: true },
  { name: 'enc-off', opts: { compression: 'off', password: 'pw-one' }, compressed: false },
  { name: 'enc-auto', opts: { compression: 'auto', password: 'pw-two' }, compressed: true },
];

for (const c of CASES) {
  test(`${c.name}: bytes restored through the threads and on the calling thread equal the source`, async () => {
    const { repo, snap, src } = await repoWith(c.name, c.opts);
    const log = await locations(repo, snap, 'logs/train-5.log');
    const weights = await locations(repo, snap, 'weights.bin');
    assert.ok(weights.length > 1 && weights.every((l) => l.rawLength === undefined), 'random bytes are stored as is');
    assert.equal(
      log.some((l) => l.rawLength !== undefined),
      c.compressed,
      'text is stored compressed exactly when compression is on',
    );

    const threaded = path.join(scratch.tmp, `${c.name}-threads`);
    await restoreDirect(repo, { snapshot: { id: snap.id }, target: threaded }, scratch.pool);
    assert.deepEqual(describeTree(threaded), describeTree(src), 'restored through the pool');

    // no pool: the same opening code runs on this thread
    const inline = path.join(scratch.tmp, `${c.name}-inline`);
    const plan = await planRestore(repo, { restoreId: `${c.name}-inline`, snapshot: { id: snap.id }, target: inline });
    for (let b = 0; b < plan.batches; b++) {
      const p = await runRestoreBatch(repo, { restoreId: `${c.name}-inline`, batch: b });
      assert.equal(p.filesDone, p.files);
    }
    const staged = describeTree(plan.staging);
    for (const [rel, info] of describeTree(src))
      if (info.type === 'file') assert.deepEqual(staged.get(rel)?.sha256, info.sha256, `${rel} staged on this thread`);
  });
}

for (const enc of [false, true]) {
  test(`${enc ? 'encrypted' : 'plain'}: a corrupted blob opened in a thread fails the restore with its file and chunk named`, async () => {
    const name = `corrupt-${enc ? 'enc' : 'plain'}`;
    const { repo, snap } = await repoWith(name, { compression: 'auto', password: enc ? 'pw-c' : undefined });
    const file = 'small/part-7.bin';
    const [loc] = await locations(repo, snap, file);
    const e = (await repo.loadTree(snap)).find((x) => x.path === file);
    const chunk = e && e.type === 'file' ? e.chunks[0] : '';
    const packFile = path.join(scratch.tmp, `${name}-repo`, 'data', loc.pack.slice(0, 2), loc.pack);
    const body = fs.readFileSync(packFile);
    body[loc.offset + Math.floor(loc.length / 2)] ^= 0x40;
    fs.writeFileSync(packFile, body);
    const target = path.join(scratch.tmp, `${name}-out`);
    await assert.rejects(restoreDirect(repo, { snapshot: { id: snap.id }, target }, scratch.pool), (err: Error) => {
      assert.ok(err instanceof IntegrityError, `an IntegrityError, not ${err.name}`);
      assert.ok(err.message.startsWith(`file "${file}": chunk ${chunk.slice(0, 12)} in pack ${loc.pack.slice(0, 12)}`), err.message);
      assert.match(err.message, enc ? /failed AES-GCM authentication/ : /failed its SHA-256 check/);
      return true;
    });
    assert.equal(fs.existsSync(target), false, 'nothing was put in place');
  });
}

test('two encrypted repositories through one pool: each thread holds both keys and opens each repository with its own', async () => {
  const a = await repoWith('keys-a', { compression: 'auto', password: 'pw-a' });
  const b = await repoWith('keys-b', { compression: 'off', password: 'pw-b' });
  assert.notEqual(a.repo.codec.keysRef, b.repo.codec.keysRef);
  for (const [i, r] of [a, b, a].entries()) {
    const out = path.join(scratch.tmp, `keys-out-${i}`);
    await restoreDirect(r.repo, { snapshot: { id: r.snap.id }, target: out }, scratch.pool);
    assert.deepEqual(describeTree(out), describeTree(r.src));
  }
});

for (const c of CASES.filter((x) => x.compressed)) {
  test(`${c.name}: a backup sealed on the calling thread (no pool) stores the same chunks and restores the same bytes`, async () => {
    const threaded = await repoWith(`${c.name}-sealed`, c.opts);
    const repo = await Repository.open(new FsStore(path.join(scratch.tmp, `${c.name}-inline-repo`)), key, { create: true, ...c.opts });
    const plan = await planBackup(repo, { backupId: 'b1', snapshotId: 'b'.repeat(32), asset: c.name, source: threaded.src, strategy: 'full' });
    for (let i = 0; i < plan.batches; i++) await runBackupBatch(repo, { backupId: 'b1', batch: i });
    const snap = await commitBackup(repo, 'b1');
    const ids = async (r: Repository, s: SnapshotManifest) => (await r.loadTree(s)).flatMap((e) => (e.type === 'file' ? e.chunks : [])).sort();
    if (!c.opts.password) assert.deepEqual(await ids(repo, snap), await ids(threaded.repo, threaded.snap), 'the same SHA-256 chunk ids');
    const idx = await repo.loadIndex(true);
    const locs = (await ids(repo, snap)).map((id) => idx.get(id) as BlobLocation);
    assert.ok(locs.some((l) => l.rawLength !== undefined) && locs.some((l) => l.rawLength === undefined), 'compressed and as-is blobs');
    const out = path.join(scratch.tmp, `${c.name}-inline-out`);
    await restoreDirect(repo, { snapshot: { id: snap.id }, target: out }, scratch.pool);
    assert.deepEqual(describeTree(out), describeTree(threaded.src));
  });
}
