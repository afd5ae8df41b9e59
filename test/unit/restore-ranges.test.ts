import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkIndex } from '../../src/engine/repo/chunk-index';
import { interleaveRanges, planBatchRanges } from '../../src/engine/restore/fetch-ranges';

const id = (i: number) => i.toString(16).padStart(64, '0');
const KiB = 1024;

/** One pack of `n` blobs of `stored` bytes back to back, each compressed from `raw` bytes (or stored as is). */
function onePack(n: number, stored: number, raw?: number): { index: ChunkIndex; files: { path: string; size: number; chunks: string[] }[] } {
  const index = new ChunkIndex();
  const pack = 'a'.repeat(64);
  index.addPack(
    pack,
    Array.from({ length: n }, (_, i) => ({ id: id(i), type: 'data' as const, offset: i * stored, length: stored, rawLength: raw })),
  );
  const files = Array.from({ length: n }, (_, i) => ({ path: `f${i}`, size: raw ?? stored, chunks: [id(i)] }));
  return { index, files };
}

test('restore ranges: blobs stored as is fill a range up to its size (their plaintexts reuse its buffer)', () => {
  const { index, files } = onePack(64, 64 * KiB);
  const ranges = planBatchRanges(files, index, 0, 1024 * KiB);
  assert.deepEqual(
    ranges.map((r) => r.length),
    [1024 * KiB, 1024 * KiB, 1024 * KiB, 1024 * KiB],
  );
});

test('restore ranges: with compressed blobs a range holds its bytes and their plaintexts within the size', () => {
  // 16 KiB stored, 64 KiB plain: 80 KiB held per blob, 12 of them fit in 1 MiB (not 64)
  const { index, files } = onePack(64, 16 * KiB, 64 * KiB);
  const ranges = planBatchRanges(files, index, 0, 1024 * KiB);
  assert.equal(ranges[0].blobs.length, 12);
  for (const r of ranges) assert.ok(r.length + r.blobs.reduce((s, b) => s + b.plainLength, 0) <= 1024 * KiB);
  assert.equal(
    ranges.reduce((s, r) => s + r.blobs.length, 0),
    64,
  );
});

test('restore ranges: ranges of many small blobs are spread evenly among ranges of few big ones, none lost', () => {
  const range = (pack: string, blobs: number) => ({
    pack,
    start: 0,
    length: 1,
    blobs: Array.from({ length: blobs }, (_, i) => ({ id: id(i), offset: i, storedLength: 1, plainLength: 1, targets: [] })),
  });
  // pack order: the small files' packs come back to back
  const ranges = [range('a', 1), range('b', 2), range('c', 500), range('d', 400), range('e', 3), range('f', 1), range('g', 1), range('h', 2)];
  const order = interleaveRanges(ranges).map((r) => r.pack);
  assert.deepEqual(order, ['c', 'a', 'b', 'e', 'd', 'f', 'g', 'h']);
  assert.deepEqual([...order].sort(), ranges.map((r) => r.pack).sort());
  assert.deepEqual(
    interleaveRanges([range('x', 1), range('y', 2)]).map((r) => r.pack),
    ['x', 'y'],
  );
});
