import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TreeEntry } from '../../src/engine/repo/tree';
import { PathSelection } from '../../src/engine/restore/path-selection';
import { cmpTreeEntry } from '../../src/engine/source/tree-order';

const dir = (p: string): TreeEntry => ({ type: 'dir', path: p, mode: 0o755, mtimeNs: '0' });
const file = (p: string): TreeEntry => ({ type: 'file', path: p, mode: 0o644, mtimeNs: '0', size: 0, chunks: [] });

/** A tree in tree order: folders a..c with subfolders 0..2 (one empty), files in each, a few at the top. */
function orderedTree(): TreeEntry[] {
  const out: TreeEntry[] = [file('top.txt'), file('z.bin')];
  for (const d of ['a', 'b', 'c']) {
    out.push(dir(d), file(`${d}/readme`));
    for (const s of ['0', '1', '2']) {
      out.push(dir(`${d}/${s}`));
      if (s !== '2') for (let i = 0; i < 4; i++) out.push(file(`${d}/${s}/f${i}.txt`));
    }
  }
  return out.sort(cmpTreeEntry);
}

/** The two-pass selection (note every entry, then selects): what the one pass must equal. */
function twoPass(entries: TreeEntry[], paths: string[]): { kept: string[]; matched: boolean } {
  const sel = new PathSelection(paths);
  entries.forEach((e) => sel.note(e));
  return { kept: entries.filter((e) => sel.selects(e)).map((e) => e.path), matched: sel.matched };
}

test('one pass over a tree in tree order keeps exactly what two passes keep, folders above the matches included', () => {
  const entries = orderedTree();
  for (const paths of [['a/1/f2.txt'], ['b'], ['b/2'], ['c/0', 'a/1/*.txt'], ['**/f3.txt'], ['nothing'], ['top.txt', 'b/1']]) {
    const sel = new PathSelection(paths);
    const kept = entries.flatMap((e) => sel.take(e)).map((e) => e.path);
    assert.deepEqual({ kept, matched: sel.matched }, twoPass(entries, paths), paths.join(','));
  }
  const sel = new PathSelection(['a/1/f2.txt']);
  assert.deepEqual(
    entries.flatMap((e) => sel.take(e)).map((e) => e.path),
    ['a', 'a/1', 'a/1/f2.txt'],
  );
});
