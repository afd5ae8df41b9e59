import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntegrityError } from '../../src/common/errors';
import type { BlobLocation } from '../../src/engine/repo/location-table';
import { planTreeReads, readTreeBlobs } from '../../src/engine/repo/tree-reads';
import type { BlobStore, ByteRange } from '../../src/engine/store/blob-store';

const P = 'a'.repeat(64);
const Q = 'b'.repeat(64);
const blob = (i: number, pack: string, offset: number, length: number) => ({
  id: i.toString(16).padStart(64, '0'),
  loc: { pack, type: 'tree', offset, length } as BlobLocation,
});

test('tree reads: neighbours in one pack share a read; another pack, a step back, a wide gap or the size cap start a new one; tree order is kept', () => {
  const blobs = [
    blob(0, P, 0, 100),
    blob(1, P, 100, 100),
    blob(2, P, 250, 100), // a small gap: still joined
    blob(3, Q, 0, 100), // another pack
    blob(4, P, 0, 50), // back in P but before the last read's end (a parent's blob)
    blob(5, P, 10_000, 100), // too far after
    blob(6, P, 10_100, 900),
  ];
  const reads = planTreeReads(blobs, 1000, 1000);
  assert.deepEqual(
    reads.map((r) => [r.pack.slice(0, 1), r.start, r.length, r.blobs.map((b) => Number.parseInt(b.id, 16))]),
    [
      ['a', 0, 350, [0, 1, 2]],
      ['b', 0, 100, [3]],
      ['a', 0, 50, [4]],
      ['a', 10_000, 1000, [5, 6]],
    ],
  );
  // a cap below a blob pair's span splits them
  assert.equal(planTreeReads(blobs.slice(5), 999, 1000).length, 2);
  assert.equal(planTreeReads(blobs.slice(0, 3), 1000, 10).length, 2, 'a gap wider than allowed splits');
});

/** A store whose GETs of pack ranges wait until the test answers them. */
function heldStore(): { store: BlobStore; pending: { range: ByteRange; answer: (b: Buffer | Error) => void }[] } {
  const pending: { range: ByteRange; answer: (b: Buffer | Error) => void }[] = [];
  const store = {
    url: 'mem://held',
    get: (_key: string, range?: ByteRange) =>
      new Promise<Buffer>((resolve, reject) => pending.push({ range: range as ByteRange, answer: (b) => (b instanceof Error ? reject(b) : resolve(b)) })),
  } as unknown as BlobStore;
  return { store, pending };
}

test('tree reads: a walk keeps `ahead` reads in flight and yields every blob in tree order', async () => {
  const blobs = Array.from({ length: 6 }, (_, i) => blob(i, i % 2 ? P : Q, 0, 4));
  const reads = planTreeReads(blobs);
  assert.equal(reads.length, 6);
  const { store, pending } = heldStore();
  const walk = readTreeBlobs(store, reads, 'snapshot x tree', 3);
  const first = walk.next();
  await new Promise((r) => setImmediate(r));
  assert.equal(pending.length, 3, 'three reads started before the first is answered');
  const seen: number[] = [];
  const answer = (k: number) => pending[k].answer(Buffer.from([k, k, k, k]));
  answer(0);
  let r = await first;
  for (let k = 1; !r.done; k++) {
    seen.push(r.value.stored[0]);
    const nextP = walk.next();
    await new Promise((res) => setImmediate(res));
    assert.ok(pending.length <= Math.min(reads.length, k + 3), `at most three ahead (${pending.length} started after ${k} answered)`);
    if (k < reads.length) answer(k);
    r = await nextP;
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
});

test('tree reads: a short read is refused; a walk left early leaves no unhandled rejection behind', async () => {
  const reads = planTreeReads([blob(0, P, 0, 8), blob(1, Q, 0, 8)]);
  const { store, pending } = heldStore();
  const walk = readTreeBlobs(store, reads, 'snapshot x tree', 2);
  const first = walk.next();
  await new Promise((r) => setImmediate(r));
  pending[0].answer(Buffer.alloc(4));
  await assert.rejects(first, (e: Error) => e instanceof IntegrityError && /snapshot x tree: pack aaaaaaaaaaaa is truncated/.test(e.message));

  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const { store: s2, pending: p2 } = heldStore();
    const w2 = readTreeBlobs(s2, reads, 'snapshot y tree', 2);
    const n = w2.next();
    await new Promise((r) => setImmediate(r));
    p2[0].answer(Buffer.alloc(8));
    await n;
    await w2.return(undefined);
    // the read started ahead fails after its walk is gone
    p2[1].answer(new Error('connection reset'));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
