import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SealAhead } from '../../src/engine/backup/seal-ahead';
import { SharedAllowance, TaskReads } from '../../src/engine/backup/task-reads';
import type { ChunkTaskResult } from '../../src/engine/chunker/chunk-task';
import type { Repository, SealedBlob } from '../../src/engine/repo/repository';

/** Reads that finish only when the test says so; records how many are under way. */
function manualReads() {
  const open = new Map<number, () => void>();
  return {
    run: (task: number) => new Promise<number>((resolve) => open.set(task, () => resolve(task))),
    finish: (task: number) => {
      open.get(task)?.();
      open.delete(task);
    },
    underWay: () => [...open.keys()].sort((a, b) => a - b),
  };
}

test('task reads: each batch keeps its own read under way, reads further only with a shared place, and gives places back', async () => {
  const shared = new SharedAllowance(1);
  const a = manualReads();
  const b = manualReads();
  const ra = new TaskReads([0, 1, 2, 3], a.run, 3, shared);
  const rb = new TaskReads([10, 11, 12], b.run, 3, shared);
  // a took its own read and the one shared place; b has only its own
  assert.deepEqual(a.underWay(), [0, 1]);
  assert.deepEqual(b.underWay(), [10]);
  assert.equal(shared.available, 0);

  a.finish(0);
  assert.equal(await ra.take(), 0);
  // task 0 is in hand (a's own place): nothing further until it is done with
  assert.deepEqual(a.underWay(), [1]);
  b.finish(10);
  assert.equal(await rb.take(), 10);
  assert.deepEqual(b.underWay(), []);

  a.finish(1);
  assert.equal(await ra.take(), 1);
  // task 0 done: a's own place reads task 2; task 1 (shared) is in hand
  assert.deepEqual(a.underWay(), [2]);
  ra.close();
  assert.equal(shared.available, 1);
  // b's next take frees its own place for task 11, and the place a gave back lets it read 12 ahead
  const next = rb.take();
  assert.deepEqual(b.underWay(), [11, 12]);
  b.finish(11);
  assert.equal(await next, 11);
  rb.close();
  assert.equal(shared.available, 1);
});

test('seal-ahead: new chunks are sealed in order, a few at a time; one that became known is skipped', async () => {
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const repo = {
    sealBlob: (plain: Buffer) =>
      new Promise<SealedBlob>((resolve) => {
        started.push(plain[0]);
        finish.set(plain[0], () => resolve({ stored: plain }));
      }),
  } as unknown as Repository;
  const data = Buffer.from([0, 1, 2, 3, 4, 5]);
  const res: ChunkTaskResult = {
    taskId: 0,
    data: data.buffer,
    results: [
      {
        chunks: [0, 1, 2, 1, 3, 4, 5].map((i) => ({ id: `c${i}`, off: i, len: 1 })),
      },
    ],
  };
  const known = new Set(['c2']);
  const s = new SealAhead(repo, data, res, (id) => known.has(id), 2);
  // c2 was stored already; c1 appears twice and is sealed once
  assert.deepEqual(started, [0, 1]);
  finish.get(0)?.();
  assert.equal((await s.take('c0')).stored[0], 0);
  assert.deepEqual(started, [0, 1, 3]);
  // c1 and c3 became known meanwhile (another batch stored them): the next taken is c4
  const c4 = s.take('c4');
  assert.deepEqual(started, [0, 1, 3, 4, 5]);
  finish.get(4)?.();
  assert.equal((await c4).stored[0], 4);
  for (const f of finish.values()) f();
  await s.settled();
  assert.equal((await s.take('c5')).stored[0], 5);
});
