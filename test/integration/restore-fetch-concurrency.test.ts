import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { backupDirect } from '../../src/engine/direct';
import { DATA_PREFIX } from '../../src/engine/repo/layout';
import { Repository } from '../../src/engine/repo/repository';
import { finishRestore } from '../../src/engine/restore/finish-restore';
import { planRestore } from '../../src/engine/restore/plan-restore';
import { RANGE_SLOTS, runRestoreBatch } from '../../src/engine/restore/run-restore-batch';
import { FsStore } from '../../src/engine/store/fs-store';
import { HookStore } from '../helpers/hook-store';
import { describeTree } from '../helpers/tree-fixture';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-fetch-conc-');
const KiB = 1024;
const tick = () => new Promise<void>((r) => setImmediate(r));

/**
 * Pack-range GETs held until RANGE_SLOTS of them wait at once (or until no further one comes for
 * a while of event-loop turns, so a restore that keeps fewer in flight finishes instead of hanging).
 */
function gate(): { get: (key: string) => Promise<void>; most: () => number } {
  let waiting: (() => void)[] = [];
  let most = 0;
  let arrivals = 0;
  const releaseAll = () => {
    const w = waiting;
    waiting = [];
    w.forEach((r) => r());
  };
  return {
    most: () => most,
    get: async (key) => {
      if (!key.startsWith(DATA_PREFIX)) return;
      const mine = ++arrivals;
      const held = new Promise<void>((r) => waiting.push(r));
      most = Math.max(most, waiting.length);
      if (waiting.length >= RANGE_SLOTS) releaseAll();
      else
        void (async () => {
          for (let i = 0; i < 200; i++) {
            await tick();
            if (arrivals !== mine) return;
          }
          releaseAll();
        })();
      await held;
    },
  };
}

test('one restore batch keeps every range slot of the process busy: RANGE_SLOTS pack reads in flight, not a batch limit below it', async () => {
  const root = path.join(scratch.tmp, 'slots');
  const src = path.join(root, 'src');
  fs.mkdirSync(src, { recursive: true });
  // incompressible files in packs of 64 KiB: one range per pack, a dozen of them
  for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(src, `f${i}.bin`), randomBytes(60 * KiB));
  const store = new FsStore(path.join(root, 'repo'));
  const hooks = new HookStore(store);
  const repo = await Repository.open(hooks, Buffer.alloc(32, 9), { create: true, packSize: 64 * KiB });
  const s = await backupDirect(repo, { asset: 'a', source: src, strategy: 'incremental' }, scratch.pool);
  const target = path.join(root, 'out');
  const plan = await planRestore(repo, { restoreId: 'slots', snapshot: { id: s.id }, target });
  assert.equal(plan.batches, 1);
  const g = gate();
  hooks.hooks.get = g.get;
  await runRestoreBatch(repo, { restoreId: 'slots', batch: 0, pool: scratch.pool });
  hooks.hooks.get = undefined;
  assert.equal(g.most(), RANGE_SLOTS);
  await finishRestore(repo, 'slots');
  assert.deepEqual(describeTree(target), describeTree(src));
});
