import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { Repository } from '../../src/engine/repo/repository';
import { FsStore } from '../../src/engine/store/fs-store';
import { HookStore } from '../helpers/hook-store';
import { describeTree, writeRandomFile } from '../helpers/tree-fixture';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-memory-');

/**
 * The engine's big buffers are bounded per process, not per batch: a worker runs several
 * batches at once, and each holding its own packs in flight and its own ranges let memory grow
 * with their number. Two batches run at once here (engine-direct runs two), each with enough
 * packs to fill its own limits; every pack PUT and range GET is held open for a few turns of
 * the event loop so that whatever the limits allow overlaps, and the most seen at once is
 * checked against the process-wide limits.
 */
const key = Buffer.alloc(32, 9);
const MiB = 1024 * 1024;

/** Counts calls of `kind` on pack objects in flight at once; each is held open for some event-loop turns. */
function inFlight(): { hold: (key: string) => Promise<void>; max: () => number } {
  let now = 0;
  let most = 0;
  return {
    async hold(k) {
      if (!k.startsWith('data/')) return;
      now++;
      most = Math.max(most, now);
      try {
        for (let i = 0; i < 20; i++) await yieldTurn();
      } finally {
        now--;
      }
    },
    max: () => most,
  };
}

test('two batches at once: at most 2 pack uploads and 6 restore ranges in flight in the process, and the restore is identical', async () => {
  const src = path.join(scratch.tmp, 'src');
  fs.mkdirSync(src);
  // 24 incompressible files of 1 MiB in two batches; 1 MiB packs: a dozen packs per batch
  for (let i = 0; i < 24; i++) writeRandomFile(path.join(src, `f-${String(i).padStart(2, '0')}.bin`), MiB, 500 + i);
  const puts = inFlight();
  const gets = inFlight();
  const store = new HookStore(new FsStore(path.join(scratch.tmp, 'repo')), {
    put: (k) => puts.hold(k),
    // the hook runs before the read: a held GET is one whose range buffer is about to be filled
    get: (k) => gets.hold(k),
  });
  const repo = await Repository.open(store, key, { create: true, packSize: MiB });
  const m = await backupDirect(repo, { asset: 'm', source: src, strategy: 'full', batchFiles: 12 }, scratch.pool);
  assert.ok(m.stats.packsWritten >= 20, `enough packs to fill every limit (${m.stats.packsWritten})`);
  assert.ok(puts.max() >= 2, `uploads overlapped (${puts.max()})`);
  // per batch it was 2 each: 4 at once with two batches
  assert.ok(puts.max() <= 2, `pack uploads in flight at once: ${puts.max()}`);

  const target = path.join(scratch.tmp, 'out');
  await restoreDirect(repo, { asset: 'm', snapshot: { id: m.id }, target, batchFiles: 12 });
  assert.ok(gets.max() > 4, `ranges of both batches overlapped (${gets.max()})`);
  // per batch it was 4 each: 8 at once with two batches
  assert.ok(gets.max() <= 6, `restore ranges in flight at once: ${gets.max()}`);
  assert.deepEqual(describeTree(target), describeTree(src));
});
