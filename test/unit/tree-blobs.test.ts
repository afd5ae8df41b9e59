import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { decodeTreeBlob, encodeTreeBlobs, TreeBlobSchema, type TreeEntry } from '../../src/engine/repo/tree';

/** A dataset's tree as a backup lists it: files in sorted path order, each with its chunk ids. */
function tree(files: number): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (let i = 0; i < files; i++) {
    const name = `shards/d${String(i % 40).padStart(2, '0')}/part-${String(i).padStart(6, '0')}.bin`;
    const chunk = createHash('sha256').update(name).digest('hex');
    entries.push({
      type: 'file',
      path: name,
      mode: 0o644,
      mtimeNs: `${1_700_000_000_000_000_000n + BigInt(i)}`,
      size: 4096 + i,
      chunks: [chunk],
      ino: 1000 + i,
    });
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : 1));
}

const id = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Bytes of `next`'s blobs that `prev` does not already hold: what a backup would have to store. */
function newBytes(prev: Buffer[], next: Buffer[]): number {
  const have = new Set(prev.map(id));
  return next.filter((b) => !have.has(id(b))).reduce((s, b) => s + b.length, 0);
}

const total = (bs: Buffer[]) => bs.reduce((s, b) => s + b.length, 0);
const decoded = (bs: Buffer[]) => bs.flatMap((b) => TreeBlobSchema.parse(JSON.parse(decodeTreeBlob(b, 'test'))).entries);

test('a snapshot changing a few files stores new tree blobs only around them: the rest of the tree deduplicates', () => {
  const before = tree(20_000);
  const after = before.map((e, i) =>
    i % 2000 === 7 && e.type === 'file' ? { ...e, mtimeNs: '1800000000000000000', chunks: [id(Buffer.from(e.path + 'v2'))] } : e,
  );
  const a = encodeTreeBlobs(before);
  const b = encodeTreeBlobs(after);
  assert.deepEqual(decoded(b), after, 'the blobs hold the tree, in order');
  const fresh = newBytes(a, b);
  // 10 files changed out of 20,000: about 10 blobs of ~64 entries
  assert.ok(fresh < total(b) * 0.08, `${fresh} new bytes of ${total(b)}`);
});

test('a file added or removed moves no blob boundary but its own', () => {
  const before = tree(10_000);
  const extra: TreeEntry = { type: 'file', path: 'shards/d17/part-005000a.bin', mode: 0o644, mtimeNs: '1', size: 1, chunks: [] };
  const added = [...before, extra].sort((x, y) => (x.path < y.path ? -1 : 1));
  const removed = before.filter((_, i) => i !== 4321);
  const a = encodeTreeBlobs(before);
  for (const next of [added, removed]) {
    const b = encodeTreeBlobs(next);
    assert.deepEqual(decoded(b), next);
    assert.ok(b.filter((x) => !new Set(a.map(id)).has(id(x))).length <= 2, 'at most the blob holding the change (and a merged neighbour) is new');
  }
});

test('a blob never passes its byte limit, and an empty tree is one blob', () => {
  const blobs = encodeTreeBlobs(tree(3000), 16 * 1024);
  for (const b of blobs) assert.ok(decodeTreeBlob(b, 'test').length <= 16 * 1024 + 400);
  assert.equal(decoded(blobs).length, 3000);
  assert.deepEqual(decoded(encodeTreeBlobs([])), []);
});
