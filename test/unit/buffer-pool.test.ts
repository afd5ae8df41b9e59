import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { BufferPool } from '../../src/common/buffer-pool';
import { workProcessEnv } from '../../src/common/node-flags';

const MiB = 1024 * 1024;

test('a slab given back is the memory of the next take, and every view of it reads empty', () => {
  const pool = new BufferPool(4 * MiB, 1);
  const a = pool.take(3 * MiB);
  a.fill(7);
  const stale = a.subarray(0, 100);
  pool.give(a.buffer);
  assert.equal(stale.length, 0, 'a forgotten view must not see the slab reused');
  assert.equal(pool.pooled, 1);
  const b = pool.take(2 * MiB);
  assert.equal(b.length, 2 * MiB);
  // the same memory: a fresh mapping would read zeros
  assert.equal(b[0], 7);
  assert.equal(pool.pooled, 0);
});

test('the pool keeps at most its number of slabs; other sizes and views of part of a buffer are not kept', () => {
  const pool = new BufferPool(4 * MiB, 2);
  const taken = [pool.take(4 * MiB), pool.take(4 * MiB), pool.take(4 * MiB)];
  for (const t of taken) pool.give(t);
  assert.equal(pool.pooled, 2);
  assert.equal(taken[2].buffer.byteLength, 0, 'the one beyond the pool is freed');
  const own = pool.take(5 * MiB);
  assert.equal(own.buffer.byteLength, 5 * MiB);
  pool.give(own);
  assert.equal(pool.pooled, 2);
  const part = pool.take(4 * MiB).subarray(MiB);
  pool.give(part);
  assert.equal(part.length, 3 * MiB, 'a view of part of a slab is left alone');
  // small buffers are not worth a slab
  assert.equal(pool.take(1000).buffer.byteLength < 4 * MiB, true);
});

test('a full backup reads, seals and packs into kept slabs: about half the page faults of fresh buffers, and its bytes restore', () => {
  const script = path.join(__dirname, '..', 'helpers', 'slab-cycles.js');
  const out = execFileSync(process.execPath, [script, '96'], { env: workProcessEnv(process.env), encoding: 'utf8' });
  const r = JSON.parse(out) as { faultsPerPage: number; restored: boolean };
  assert.equal(r.restored, true);
  // each fresh buffer of a 16 MiB task (its read, its sealed blobs, its pack) faults every page of it:
  // 3.3-3.4 faults per page of data without the slabs, 1.7-1.8 with them
  assert.ok(r.faultsPerPage < 2.5, `${r.faultsPerPage.toFixed(2)} page faults per 4 KiB of data`);
});
