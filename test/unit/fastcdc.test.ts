import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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
  assert.ok(avg > 0.75 * DEFAULT_CHUNKER.avg && avg < 2.5 * DEFAULT_CHUNKER.avg, `average chunk ${avg}`);
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

test("a new repository's chunks keep a rewritten stretch of a checkpoint cheap: new chunks hold under 1.1x the rewritten bytes (4 MiB stretches)", () => {
  // what a fine-tuning run does to a checkpoint: stretches of a few MiB rewritten in place
  const base = randomBuf(48 * MiB, 5);
  const ids = (buf: Buffer) => {
    const out = new Map<string, number>();
    let o = 0;
    for (const l of chunkLengths(buf))
      out.set(
        createHash('sha256')
          .update(buf.subarray(o, (o += l)))
          .digest('hex'),
        l,
      );
    return out;
  };
  const before = ids(base);
  let stored = 0;
  let rewritten = 0;
  for (let k = 0; k < 12; k++) {
    const next = Buffer.from(base);
    const len = 4 * MiB + k * 65536;
    randomBuf(len, 100 + k).copy(next, (3 + k * 3) * MiB + k * 12345);
    for (const [id, l] of ids(next)) if (!before.has(id)) stored += l;
    rewritten += len;
  }
  // each stretch also costs the chunks straddling its two ends (1.06x here; 1.31x at 512 KiB chunks, 1.6x at 1 MiB)
  assert.ok(stored / rewritten < 1.1, `new chunks ${(stored / rewritten).toFixed(3)}x the rewritten bytes`);
});
