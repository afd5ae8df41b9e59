import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { planBackup } from '../../src/engine/backup/plan-backup';
import { runBackupBatch } from '../../src/engine/backup/run-batch';
import { ChunkPool } from '../../src/engine/chunker/pool';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { prune } from '../../src/engine/maintenance/prune';
import { verifyRepository } from '../../src/engine/maintenance/verify';
import { DATA_PREFIX, snapshotKey } from '../../src/engine/repo/layout';
import { Repository } from '../../src/engine/repo/repository';
import type { BlobStore } from '../../src/engine/store/blob-store';
import { openStore } from '../../src/engine/store/open-store';
import { startSeaweed, type Seaweed } from '../helpers/seaweed';
import { describeTree, writeRandomFile } from '../helpers/tree-fixture';

/**
 * Repack on SeaweedFS: prune copies the live blobs out of sparse packs, condemns the packs the
 * two-phase way and reclaims their space, while every kept snapshot restores byte for byte, and
 * a backup that deduplicated against a sparse pack while the repack ran keeps its data.
 */
const HOUR = 3600_000;
const KiB = 1024;
const key = Buffer.alloc(32, 9);
let seaweed: Seaweed;
let pool: ChunkPool;
let tmp: string;

before(async () => {
  seaweed = await startSeaweed({ bucket: 'repack-test' });
  pool = new ChunkPool(2);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-repack-'));
});
after(async () => {
  await pool?.close();
  await seaweed?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function fresh(name: string): Promise<{ src: string; store: BlobStore; repo: Repository }> {
  const src = path.join(tmp, name, 'src');
  fs.mkdirSync(src, { recursive: true });
  const store = openStore(seaweed.repository(name), seaweed.env);
  return { src, store, repo: await Repository.open(store, key, { create: true, packSize: 1024 * KiB }) };
}

const packBytes = async (store: BlobStore) => (await store.list(DATA_PREFIX)).reduce((n, o) => n + o.size, 0);

/** Restore into a fresh folder and compare with the tree as it was at backup time. */
async function restoresAs(repo: Repository, id: string, expected: ReturnType<typeof describeTree>, out: string): Promise<void> {
  fs.rmSync(out, { recursive: true, force: true });
  await restoreDirect(repo, { snapshot: { id }, target: out });
  assert.deepEqual(describeTree(out), expected, `snapshot ${id.slice(0, 8)} restores byte for byte`);
}

test('repack reclaims the space of sparse packs; every kept snapshot still restores byte for byte', async () => {
  const f = await fresh('reclaim');
  // 32 files of 64 KiB (one chunk each): two packs of 16
  for (let i = 0; i < 32; i++) writeRandomFile(path.join(f.src, `f${String(i).padStart(2, '0')}.bin`), 64 * KiB, i + 1);
  const s1 = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'full' }, pool);
  // keep one file of each pack, add two: the old packs are 1/16 live once s1 is forgotten
  for (let i = 0; i < 32; i++) if (i !== 3 && i !== 20) fs.rmSync(path.join(f.src, `f${String(i).padStart(2, '0')}.bin`));
  writeRandomFile(path.join(f.src, 'new-1.bin'), 64 * KiB, 101);
  const s2 = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'incremental' }, pool);
  const tree2 = describeTree(f.src);
  writeRandomFile(path.join(f.src, 'new-2.bin'), 64 * KiB, 102);
  const s3 = await backupDirect(f.repo, { asset: 'a', source: f.src, strategy: 'incremental' }, pool);
  const tree3 = describeTree(f.src);
  await f.store.delete(snapshotKey(s1.id));
  const bytesBefore = await packBytes(f.store);

  const t0 = Date.now();
  const dry = await prune(f.repo, { graceMs: HOUR, now: new Date(t0), repackBelow: 0.2, dryRun: true });
  assert.equal(dry.repacked.length, 2, 'both old packs are candidates');
  assert.equal(dry.repackedBlobs, 0, 'a dry run copies nothing');
  assert.equal(await packBytes(f.store), bytesBefore);

  const r1 = await prune(f.repo, { graceMs: HOUR, now: new Date(t0), repackBelow: 0.2 });
  assert.deepEqual([...r1.repacked].sort(), [...dry.repacked].sort());
  assert.equal(r1.repackedBlobs, 2, 'the two live chunks of the old packs are copied');
  assert.equal(r1.repackedBytes, 2 * 64 * KiB);
  for (const p of r1.repacked) assert.ok(r1.marked.includes(p), 'a repacked pack is marked, not deleted at once');
  assert.deepEqual(r1.deleted, []);
  await restoresAs(f.repo, s2.id, tree2, path.join(tmp, 'out-a'));
  await restoresAs(f.repo, s3.id, tree3, path.join(tmp, 'out-a'));

  const r2 = await prune(f.repo, { graceMs: HOUR, now: new Date(t0 + 2 * HOUR), repackBelow: 0.2 });
  assert.deepEqual([...r2.deleted].sort(), [...r1.marked].sort(), "after the grace the sparse packs go (and s1's tree pack)");
  for (const p of r1.repacked) assert.ok(r2.deleted.includes(p));
  assert.deepEqual(r2.repacked, []);
  const bytesAfter = await packBytes(f.store);
  assert.ok(bytesBefore - bytesAfter >= 28 * 64 * KiB, `reclaimed ${bytesBefore - bytesAfter} bytes of the 30 dead chunks (${30 * 64 * KiB})`);
  assert.deepEqual((await verifyRepository(f.repo, { readData: 1 })).errors, []);
  const reopened = await Repository.open(f.store, key);
  await restoresAs(reopened, s2.id, tree2, path.join(tmp, 'out-a'));
  await restoresAs(reopened, s3.id, tree3, path.join(tmp, 'out-a'));

  const r3 = await prune(f.repo, { graceMs: HOUR, now: new Date(t0 + 4 * HOUR), repackBelow: 0.2 });
  assert.deepEqual([r3.repacked, r3.marked, r3.deleted], [[], [], []], 'a repacked repository is stable');
});

test('a backup that deduplicated against a sparse pack before the repack commits and restores after the pack is deleted', async () => {
  const f = await fresh('concurrent');
  for (let i = 0; i < 16; i++) writeRandomFile(path.join(f.src, `g${String(i).padStart(2, '0')}.bin`), 64 * KiB, 200 + i);
  const s1 = await backupDirect(f.repo, { asset: 'b', source: f.src, strategy: 'full' }, pool);
  // s2 keeps g00 only; g01 lives on only in the work list of a backup in flight
  const keepDir = path.join(tmp, 'concurrent', 'keep');
  fs.mkdirSync(keepDir);
  fs.copyFileSync(path.join(f.src, 'g00.bin'), path.join(keepDir, 'g00.bin'));
  await backupDirect(f.repo, { asset: 'keep', source: keepDir, strategy: 'full' }, pool);
  const flight = path.join(tmp, 'concurrent', 'flight');
  fs.mkdirSync(flight);
  fs.copyFileSync(path.join(f.src, 'g01.bin'), path.join(flight, 'g01.bin'));
  const treeFlight = describeTree(flight);
  await f.store.delete(snapshotKey(s1.id));

  const backupId = 'in-flight';
  const snapshotId = 'f'.repeat(32);
  const plan = await planBackup(f.repo, { backupId, snapshotId, asset: 'flight', source: flight, strategy: 'full', include: [], exclude: [], tags: [] });
  for (let b = 0; b < plan.batches; b++) {
    const r = await runBackupBatch(f.repo, { backupId, batch: b, pool });
    assert.ok(r.bytesUploaded < 64 * KiB, `g01 deduplicates against the old pack (uploaded ${r.bytesUploaded})`);
  }
  // grace 0: the old pack's mark is due at once, so the commit check can rely only on the copy
  const r1 = await prune(f.repo, { graceMs: 0, minGraceMs: 0, repackBelow: 0.2 });
  assert.equal(r1.repacked.length, 1);
  assert.equal(r1.repackedBlobs, 2, "g00 (a snapshot's) and g01 (the work list's) are copied");
  const m = await commitBackup(f.repo, backupId);
  assert.equal(m.id, snapshotId);
  const r2 = await prune(f.repo, { graceMs: 0, minGraceMs: 0, repackBelow: 0.2 });
  assert.deepEqual([...r2.deleted].sort(), [...r1.marked].sort());
  assert.ok(r2.deleted.includes(r1.repacked[0]), 'the sparse pack is gone');
  assert.deepEqual((await verifyRepository(f.repo, { readData: 1 })).errors, []);
  await restoresAs(await Repository.open(f.store, key), snapshotId, treeFlight, path.join(tmp, 'out-b'));
});
