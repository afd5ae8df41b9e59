import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newChunks } from '../../src/engine/backup/seal-new-chunks';
import { SharedAllowance, TaskReads } from '../../src/engine/backup/task-reads';
import type { ChunkTaskResult } from '../../src/engine/chunker/chunk-task';

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

test('new chunks of a task: each once, in the order they first appear, none already known', () => {
  const res: ChunkTaskResult = {
    taskId: 0,
    data: new ArrayBuffer(6),
    results: [
      { chunks: [0, 1, 2, 1].map((i) => ({ id: `c${i}`, off: i, len: 1 })) },
      { error: 'gone' },
      { chunks: [3, 0, 4].map((i) => ({ id: `c${i}`, off: i, len: 1 })) },
    ],
  };
  const known = new Set(['c2', 'c4']);
  assert.deepEqual(
    newChunks(res, (id) => known.has(id)).map((c) => c.id),
    ['c0', 'c1', 'c3'],
  );
});
