import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { planBackup } from '../../src/engine/backup/plan-backup';
import { batchSlots, runBackupBatch } from '../../src/engine/backup/run-batch';
import type { ChunkTask, ChunkTaskResult } from '../../src/engine/chunker/chunk-task';
import type { ChunkPool } from '../../src/engine/chunker/pool';
import { restoreDirect } from '../../src/engine/direct';
import { Repository } from '../../src/engine/repo/repository';
import { FsSource } from '../../src/engine/source/fs-source';
import { FsStore } from '../../src/engine/store/fs-store';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-batch-slots-');

/** A folder source whose reads wait until the test lets them go; records which files are being read. */
class HeldSource extends FsSource {
  readonly reading = new Set<string>();
  private readonly held: (() => void)[] = [];
  private holding = true;

  override async chunk(task: ChunkTask, pool?: ChunkPool): Promise<ChunkTaskResult> {
    const file = String(task.segments[0].path);
    this.reading.add(file);
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    return super.chunk(task, pool);
  }

  release(): void {
    this.holding = false;
    for (const go of this.held.splice(0)) go();
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('a process given more backup batches than its places reads only that many at once; the rest wait, then all land', async () => {
  const src = path.join(scratch.tmp, 'src');
  fs.mkdirSync(src);
  const batches = batchSlots.size + 2;
  for (let i = 0; i < batches; i++) fs.writeFileSync(path.join(src, `shard-${i}.bin`), Buffer.alloc(300_000 + i, i + 1));
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, 'repo')), Buffer.alloc(32, 3), { create: true, packSize: 1024 * 1024 });
  const backupId = 'slots-backup';
  const plan = await planBackup(repo, { backupId, snapshotId: 'd'.repeat(32), asset: 'shards', source: src, strategy: 'full', batchFiles: 1 });
  assert.equal(plan.batches, batches);

  const reader = new HeldSource(src);
  const runs = Array.from({ length: batches }, (_, batch) => runBackupBatch(repo, { backupId, batch, pool: scratch.pool, reader }));
  await until('every batch reads or waits for a place', () => reader.reading.size >= batchSlots.size && reader.reading.size + batchSlots.waiting >= batches);
  assert.equal(reader.reading.size, batchSlots.size, 'batches reading at once');
  assert.equal(batchSlots.waiting, batches - batchSlots.size);

  reader.release();
  await Promise.all(runs);
  assert.equal(reader.reading.size, batches);
  assert.equal(batchSlots.inUse, 0);
  const snap = await commitBackup(repo, backupId);
  const target = path.join(scratch.tmp, 'restored');
  await restoreDirect(repo, { asset: 'shards', snapshot: { id: snap.id }, target }, scratch.pool);
  for (let i = 0; i < batches; i++) assert.deepEqual(fs.readFileSync(path.join(target, `shard-${i}.bin`)), fs.readFileSync(path.join(src, `shard-${i}.bin`)));
});
