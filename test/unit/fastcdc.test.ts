import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkLengths, DEFAULT_CHUNKER } from '../../src/engine/chunker/fastcdc';
import { prng } from '../helpers/tree-fixture';

const MiB = 1024 * 1024;

function randomBuf(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  prng(seed)(b);
  return b;
}

test('chunks respect min and max and cover the input exactly', () => {
  const buf = randomBuf(64 * MiB, 3);
  const lens = chunkLengths(buf);
  assert.equal(
    lens.reduce((a, b) => a + b, 0),
    buf.length,
  );
  lens.slice(0, -1).forEach((l) => assert.ok(l >= DEFAULT_CHUNKER.min && l <= DEFAULT_CHUNKER.max, `chunk of ${l}`));
  const avg = buf.length / lens.length;
  assert.ok(avg > 0.75 * MiB && avg < 2.5 * MiB, `average chunk ${avg}`);
});

test('an insertion only changes the chunks around it (content-defined boundaries)', () => {
  const a = randomBuf(32 * MiB, 11);
  const b = Buffer.concat([a.subarray(0, 10 * MiB), Buffer.from('inserted bytes shift everything after them'), a.subarray(10 * MiB)]);
  const cuts = (lens: number[]) => {
    const out: number[] = [];
    let o = 0;
    for (const l of lens) out.push((o += l));
    return out;
  };
  const ca = cuts(chunkLengths(a));
  const shift = b.length - a.length;
  const cb = new Set(cuts(chunkLengths(b)).map((c) => c - shift));
  const after = ca.filter((c) => c > 14 * MiB);
  const kept = after.filter((c) => cb.has(c)).length;
  assert.equal(kept, after.length, 'every boundary well past the edit is found again');
});

test('zero-filled data falls back to max-size chunks', () => {
  const lens = chunkLengths(Buffer.alloc(20 * MiB));
  assert.ok(lens.every((l, i) => l === DEFAULT_CHUNKER.max || i === lens.length - 1));
});

test('small input is one chunk', () => {
  assert.deepEqual(chunkLengths(Buffer.alloc(1000, 1)), [1000]);
  assert.deepEqual(chunkLengths(Buffer.alloc(0)), []);
});
