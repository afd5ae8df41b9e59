import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { LocationTable, type BlobLocation } from '../../src/engine/repo/location-table';

const id = (i: number) => createHash('sha256').update(`blob ${i}`).digest('hex');
const loc = (i: number): BlobLocation => ({
  pack: `p${i % 7}`.padEnd(64, '0'),
  type: i % 3 ? 'data' : 'tree',
  offset: i * 1000 + 5_000_000_000,
  length: 100 + i,
  ...(i % 2 ? { rawLength: i % 4 === 1 ? 0 : 4 * i } : {}),
});

test('the compact location table returns what was stored, through growth and rehashing, in insertion order', () => {
  const t = new LocationTable();
  const n = 5000;
  for (let i = 0; i < n; i++) t.set(id(i), loc(i));
  assert.equal(t.size, n);
  for (let i = 0; i < n; i++) assert.deepEqual(t.get(id(i)), loc(i), `blob ${i}`);
  assert.equal(t.get(id(n)), undefined);
  assert.equal(t.has(id(n)), false);
  assert.equal(t.get('not hex'), undefined);
  t.set(id(3), { pack: 'q'.repeat(64), type: 'data', offset: 1, length: 2 });
  assert.deepEqual(t.get(id(3)), { pack: 'q'.repeat(64), type: 'data', offset: 1, length: 2 }, 'replaced, rawLength gone');
  assert.equal(t.size, n);
  const all = [...t.entries()];
  assert.deepEqual(
    all.slice(0, 3).map(([k]) => k),
    [id(0), id(1), id(2)],
  );
  assert.equal(all.length, n);
  assert.throws(() => t.set('abc', loc(1)), /not 64 hex digits/);
});
