import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadInputError } from '../../src/common/errors';
import type { TreeEntry } from '../../src/engine/repo/tree';
import { checkRestorePaths } from '../../src/engine/restore/safe-paths';

const file = (path: string): TreeEntry => ({ type: 'file', path, mode: 0o644, mtimeNs: '0', size: 0, chunks: [] });
const dir = (path: string): TreeEntry => ({ type: 'dir', path, mode: 0o755, mtimeNs: '0' });
const link = (path: string, target: string): TreeEntry => ({ type: 'symlink', path, mode: 0o777, mtimeNs: '0', target });

test('ordinary trees pass, links may point anywhere (they are not followed)', () => {
  checkRestorePaths([dir('a'), file('a/b'), link('a/c', '../../../etc/passwd'), file('ünï cødé ✓')], 's');
});

for (const [name, entries, why] of [
  ['parent traversal', [file('../etc/passwd')], /escapes the target/],
  ['nested traversal', [dir('a'), file('a/../../x')], /escapes the target/],
  ['absolute path', [file('/etc/passwd')], /absolute path/],
  ['dot component', [file('./x')], /escapes the target/],
  ['empty component', [file('a//b')], /escapes the target/],
  ['NUL byte', [file('a\0b')], /NUL byte/],
  ['duplicate', [file('a'), file('a')], /appears twice/],
  ['write through a symlink', [link('a', '/etc'), file('a/passwd')], /below a symlink/],
] as const) {
  test(`refuses ${name}`, () => {
    assert.throws(
      () => checkRestorePaths(entries as unknown as TreeEntry[], 'snap1'),
      (e: Error) => e instanceof BadInputError && why.test(e.message) && e.message.includes('snap1'),
    );
  });
}
