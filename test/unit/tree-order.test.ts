import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadInputError } from '../../src/common/errors';
import { ParentCursor, type ParentTreeBlob } from '../../src/engine/backup/parent-cursor';
import { pathFields } from '../../src/engine/fs/raw-path';
import type { SnapshotManifest } from '../../src/engine/repo/snapshot';
import type { TreeEntry } from '../../src/engine/repo/tree';
import { RestorePathCheck } from '../../src/engine/restore/safe-paths';
import { cmpName, cmpTreeEntry, cmpTreePath } from '../../src/engine/source/tree-order';

const file = (p: string | { path: string; rawPath?: string }, chunk = 'a'): TreeEntry => ({
  type: 'file',
  ...(typeof p === 'string' ? { path: p } : p),
  mode: 0o644,
  mtimeNs: '0',
  size: 1,
  chunks: [chunk.repeat(64)],
});
const dir = (path: string): TreeEntry => ({ type: 'dir', path, mode: 0o755, mtimeNs: '0' });

/** A parent snapshot whose tree comes in the given blobs (the cursor reads only through treeBlobTexts). */
function parentOf(blobs: TreeEntry[][]): { repo: { treeBlobTexts: () => AsyncGenerator<ParentTreeBlob> }; m: SnapshotManifest; reads: () => number } {
  let reads = 0;
  return {
    repo: {
      async *treeBlobTexts() {
        for (const b of blobs) {
          reads++;
          yield { id: `blob${reads}`, entries: b };
        }
      },
    },
    m: { id: 'p' } as SnapshotManifest,
    reads: () => reads,
  };
}

// "a\x5cxff" (a backslash, valid UTF-8) and "a" + byte 0xff (not UTF-8) share the display form a\xff
const oddBytes = pathFields(Buffer.from([0x64, 0x2f, 0x61, 0xff]));
const backslash = { path: 'd/a\\xff' };

test('tree order: a folder before its content, content before the next sibling; equal display forms by bytes', () => {
  const sorted = [dir('a'), file('a/z'), file('a.c'), dir('d'), file(backslash), file(oddBytes), file('e')];
  for (let i = 1; i < sorted.length; i++) assert.ok(cmpTreeEntry(sorted[i - 1], sorted[i]) < 0, `${sorted[i - 1].path} before ${sorted[i].path}`);
  assert.equal(oddBytes.path, backslash.path, 'the two names do share a display form');
});

/** Tree order by its definition: name by name, a folder (fewer names) before its content. */
function byNames(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = cmpName(pa[i], pb[i]);
    if (c) return c;
  }
  return pa.length - pb.length;
}

test('tree order compared in one pass agrees with comparing name by name', () => {
  // characters around '/' in code-unit order, and beyond ASCII
  const alphabet = ['/', '.', '-', ' ', '0', 'a', 'A', '~', 'é', '模', '\ud83d\ude00'];
  let s = 7;
  const rand = (n: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const path = () => {
    const names = Array.from({ length: 1 + rand(3) }, () => Array.from({ length: 1 + rand(3) }, () => alphabet[1 + rand(alphabet.length - 1)]).join(''));
    return names.join('/');
  };
  for (let i = 0; i < 20_000; i++) {
    const a = path();
    const b = rand(4) === 0 ? a : rand(2) ? `${a.slice(0, rand(a.length + 1))}${path()}` : path();
    assert.equal(Math.sign(cmpTreePath(a, b)), Math.sign(byNames(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
});

test('the parent cursor finds each scanned entry across tree blobs, holding one blob, and skips what the scan no longer has', async () => {
  const p = parentOf([
    [dir('a'), file('a/gone', 'b'), file('a/x', 'c')],
    [file('a.c', 'd'), dir('d')],
    [file(backslash, 'e'), file(oddBytes, 'f'), file('z', '1')],
  ]);
  const cur = new ParentCursor(p.repo, p.m);
  const found = async (e: { path: string; rawPath?: string }) => {
    const h = await cur.find(e);
    return h?.type === 'file' ? h.chunks[0][0] : h?.type;
  };
  assert.equal(await found({ path: 'a' }), 'dir');
  assert.equal(p.reads(), 1, 'blobs are read as the walk reaches them');
  assert.equal(await found({ path: 'a/new' }), undefined, 'a new file between two parent entries');
  assert.equal(await found({ path: 'a/x' }), 'c');
  assert.equal(await found({ path: 'a.c' }), 'd');
  assert.equal(await found(oddBytes), 'f', 'the name in bytes, not the backslash name of the same display form');
  assert.equal(await found({ path: 'y' }), undefined);
  assert.equal(await found({ path: 'z' }), '1');
  assert.equal(await found({ path: 'zz' }), undefined, 'past the end');
});

test('a parent stored out of tree order is never wrongly matched: its out-of-order entries are just not found', async () => {
  const p = parentOf([[file('b', 'b'), file('a', 'a'), file('c', 'c')]]);
  const cur = new ParentCursor(p.repo, p.m);
  const a = await cur.find({ path: 'a' });
  assert.equal(a, undefined, 'a sits after b in this parent: the walk does not go back');
  const b = await cur.find({ path: 'b' });
  assert.equal(b?.path, 'b');
  const c = await cur.find({ path: 'c' });
  assert.equal(c?.path, 'c');
});

test('no parent: nothing is found', async () => {
  const cur = new ParentCursor(parentOf([]).repo, undefined);
  assert.equal(await cur.find({ path: 'a' }), undefined);
});

test('the restore path check finds duplicates by order in a sorted tree and asks for a keyed pass when the tree is out of order', () => {
  const sorted = new RestorePathCheck('s');
  for (const e of [dir('a'), file('a/x'), file('b')]) sorted.add(e);
  assert.equal(sorted.ordered, true);
  const adjacent = new RestorePathCheck('s');
  adjacent.add(file('a'));
  assert.throws(
    () => adjacent.add(file('a')),
    (e: Error) => e instanceof BadInputError && /appears twice/.test(e.message),
  );
  const crafted = [file('b'), file('a'), file('b')];
  const unkeyed = new RestorePathCheck('s');
  for (const e of crafted) unkeyed.add(e);
  assert.equal(unkeyed.ordered, false, 'out of order: this pass cannot rule out duplicates');
  const keyed = new RestorePathCheck('s', true);
  assert.throws(() => crafted.forEach((e) => keyed.add(e)), /appears twice/);
});
