import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { TreeReusePlanner, type TreeBlobReuse } from '../../src/engine/backup/tree-reuse';
import { decodeTreeBlob, encodeTreeBlobs, TreeBlobSchema, type TreeEntry } from '../../src/engine/repo/tree';
import { cmpTreeEntry } from '../../src/engine/source/tree-order';

const id = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const chunk = (s: string) => createHash('sha256').update(s).digest('hex');

/** A small PRNG, so every run draws the same trees. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

/** Folders of files in tree order; some files carry long xattrs so blob sizes vary. */
function tree(n: number, rand: () => number): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (let d = 0; out.length < n; d++) {
    const dir = `d${String(d).padStart(3, '0')}`;
    out.push({ type: 'dir', path: dir, mode: 0o755, mtimeNs: '5' });
    for (let f = 0; f < 40 && out.length < n; f++) {
      const path = `${dir}/f${String(f).padStart(3, '0')}`;
      const xattrs = rand() < 0.1 ? { 'user.note': 'x'.repeat(Math.floor(rand() * 600)) } : undefined;
      out.push({ type: 'file', path, mode: 0o644, mtimeNs: '7', size: 10, ...(xattrs ? { xattrs } : {}), chunks: [chunk(path)] });
    }
  }
  return out;
}

interface NextEntry {
  e: TreeEntry;
  /** read by a batch: unknown at plan time, its chunks come at commit */
  pending: boolean;
}

/** The parent's blobs, offered as a parent cursor reads them: a blob once the walk reaches its first entry. */
function plan(parent: TreeEntry[], next: NextEntry[], maxBytes?: number): TreeBlobReuse[] {
  const blobs = encodeTreeBlobs(parent, maxBytes).map((b) => {
    const text = decodeTreeBlob(b, 'test');
    return { id: id(b), text, entries: TreeBlobSchema.parse(JSON.parse(text)).entries };
  });
  const planner = new TreeReusePlanner(maxBytes);
  let p = 0;
  next.forEach((n, i) => {
    while (p < blobs.length && cmpTreeEntry(blobs[p].entries[0], n.e) <= 0) planner.offer(blobs[p++]);
    planner.add(i, n.e, n.pending ? undefined : n.e);
  });
  planner.finish();
  return planner.reuse;
}

/** What the commit encodes: pending files get new chunks. Each blob with its first entry index. */
function committed(next: NextEntry[], maxBytes?: number): Map<number, { count: number; id: string }> {
  const entries = next.map((n) => (n.pending && n.e.type === 'file' ? { ...n.e, chunks: [chunk(`${n.e.path} new`)] } : n.e));
  const out = new Map<number, { count: number; id: string }>();
  let first = 0;
  for (const b of encodeTreeBlobs(entries, maxBytes)) {
    const count = TreeBlobSchema.parse(JSON.parse(decodeTreeBlob(b, 'test'))).entries.length;
    out.set(first, { count, id: id(b) });
    first += count;
  }
  return out;
}

/** Every predicted range is exactly one blob full encoding writes, with the parent's id, and holds no pending entry. */
function assertSound(reuse: TreeBlobReuse[], next: NextEntry[], maxBytes?: number): void {
  const blobs = committed(next, maxBytes);
  for (const [first, count, rid] of reuse) {
    assert.deepEqual(blobs.get(first), { count, id: rid }, `range at ${first} (+${count}) is a blob full encoding writes, with that id`);
    for (let i = first; i < first + count; i++) assert.equal(next[i].pending, false, `entry ${i} in a reused range was read by a batch`);
  }
}

for (const maxBytes of [undefined, 3000]) {
  const label = maxBytes ? `blobs cut at ${maxBytes} bytes too` : 'default blob size';
  test(`tree reuse, ${label}: an unchanged tree reuses every parent blob, in order`, () => {
    const parent = tree(3000, rng(1));
    const reuse = plan(
      parent,
      parent.map((e) => ({ e, pending: false })),
      maxBytes,
    );
    assert.deepEqual(
      reuse.map(([, , rid]) => rid),
      encodeTreeBlobs(parent, maxBytes).map(id),
    );
    assert.equal(
      reuse.reduce((s, [, c]) => s + c, 0),
      parent.length,
    );
    assertSound(
      reuse,
      parent.map((e) => ({ e, pending: false })),
      maxBytes,
    );
  });

  test(`tree reuse, ${label}: changed, read, new and removed entries are never inside a reused blob`, () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = rng(seed);
      const parent = tree(2500, rand);
      const next: NextEntry[] = [];
      for (const e of parent) {
        const r = rand();
        if (r < 0.005) continue; // removed
        if (r < 0.01 && e.type === 'file')
          next.push({ e: { ...e, mtimeNs: '8' }, pending: false }); // metadata changed, chunks reused
        else if (r < 0.02 && e.type === 'file')
          next.push({ e, pending: true }); // read again by a batch
        else next.push({ e, pending: false });
        if (r > 0.995 && e.type === 'file') next.push({ e: { ...e, path: `${e.path}-new`, chunks: [chunk(`${e.path}-new`)] }, pending: rand() < 0.5 });
      }
      const reuse = plan(parent, next, maxBytes);
      assertSound(reuse, next, maxBytes);
      assert.ok(reuse.length > 0, `seed ${seed}: the untouched stretches are reused`);
      const changed = next.findIndex((n) => n.e.type === 'file' && n.e.mtimeNs === '8');
      if (changed >= 0) assert.ok(!reuse.some(([f, c]) => f <= changed && changed < f + c), `seed ${seed}: the changed entry's blob is written anew`);
    }
  });
}

test('tree reuse: a parent blob stored before blobs were compressed (no text) is never reused', () => {
  const parent = tree(500, rng(3));
  const planner = new TreeReusePlanner();
  for (const b of encodeTreeBlobs(parent)) planner.offer({ id: id(b), entries: TreeBlobSchema.parse(JSON.parse(decodeTreeBlob(b, 'test'))).entries });
  parent.forEach((e, i) => planner.add(i, e, e));
  planner.finish();
  assert.deepEqual(planner.reuse, []);
});
