import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadInputError } from '../../src/common/errors';
import { assembleEntries } from '../../src/engine/backup/tree-entries';
import type { PlanEntry } from '../../src/engine/backup/work-plan';
import { displayPath, entryKey, joinFs, pathBytes, pathFields } from '../../src/engine/fs/raw-path';
import { splitRdev } from '../../src/engine/fs/special-files';
import { parseXattrDump } from '../../src/engine/fs/xattrs';
import type { FileEntry, TreeEntry } from '../../src/engine/repo/tree';
import { metadataWarnings, restoredMode } from '../../src/engine/restore/apply-metadata';
import { splitHardLinks } from '../../src/engine/restore/restore-items';
import { checkRestorePaths } from '../../src/engine/restore/safe-paths';

const L = (s: string) => Buffer.from(s, 'latin1');
const ID = (c: string) => c.repeat(64);

test('names that are valid UTF-8 stay plain strings; other bytes keep their exact bytes', () => {
  assert.deepEqual(pathFields(Buffer.from('dir/ünï ✓\\x41')), { path: 'dir/ünï ✓\\x41' }, 'a valid name is never escaped, backslashes included');
  const raw = Buffer.concat([Buffer.from('dé/'), L('\xff\xfe'), Buffer.from('ok\\'), L('\xe9')]);
  const f = pathFields(raw);
  assert.equal(f.path, 'dé/\\xff\\xfeok\\x5c\\xe9');
  assert.equal(f.rawPath, raw.toString('base64'));
  assert.ok(pathBytes({ path: f.path, rawPath: f.rawPath }).equals(raw));
  assert.equal(displayPath(L('a/\xc3')), 'a/\\xc3', 'a truncated sequence is escaped');
  assert.equal(displayPath(L('\xed\xa0\x80')), '\\xed\\xa0\\x80', 'an encoded surrogate is not UTF-8');
  assert.notEqual(entryKey({ path: 'x\\xff' }), entryKey({ path: 'x\\xff', rawPath: L('x\xff').toString('base64') }));
});

test('joinFs is a plain string for UTF-8 names and exact bytes otherwise', () => {
  assert.equal(joinFs('/s/', { path: 'a/b' }), '/s/a/b');
  const j = joinFs('/s', { path: 'a\\xff', rawPath: L('a\xff').toString('base64') });
  assert.ok(Buffer.isBuffer(j) && j.equals(L('/s/a\xff')));
});

test('device numbers split like glibc major()/minor()', () => {
  assert.deepEqual(splitRdev(0x103n), { major: 1, minor: 3 });
  const major = 259n;
  const minor = 65539n;
  const rdev = (minor & 0xffn) | ((major & 0xfffn) << 8n) | ((minor & ~0xffn) << 12n) | ((major & ~0xfffn) << 32n);
  assert.deepEqual(splitRdev(rdev), { major: 259, minor: 65539 });
});

test('getfattr dumps parse: octal-escaped names, base64 and text values', () => {
  const dump = Buffer.concat([L('# file: /src/a\\134b \xff\\012x\n'), L('user.one=0sAAH/\nuser.two="text"\n\n'), L('# file: /src\nuser.root=0s\n\n')]);
  const m = parseXattrDump(dump);
  assert.deepEqual(m.get(L('/src/a\\b \xff\nx').toString('latin1')), { 'user.one': 'AAH/', 'user.two': Buffer.from('text').toString('base64') });
  assert.deepEqual(m.get('/src'), { 'user.root': '' });
});

test('without root, setuid/setgid are dropped and the plan says so', () => {
  assert.equal(restoredMode(0o4755, false), 0o755);
  assert.equal(restoredMode(0o2775, false), 0o775);
  assert.equal(restoredMode(0o4755, true), 0o4755);
  const entries: TreeEntry[] = [
    { type: 'file', path: 'suid', mode: 0o4755, uid: 1000, gid: 1000, mtimeNs: '0', size: 0, chunks: [] },
    { type: 'chardev', path: 'null', mode: 0o666, mtimeNs: '0', major: 1, minor: 3 },
  ];
  const w = metadataWarnings(entries, false);
  assert.equal(w.length, 3);
  assert.match(w[0], /setuid\/setgid bits dropped on 1 entries \(first: suid\)/);
  assert.deepEqual(metadataWarnings(entries, true), []);
  const old: TreeEntry[] = [{ type: 'file', path: 'old-suid', mode: 0o4755, mtimeNs: '0', size: 0, chunks: [] }];
  assert.match(
    metadataWarnings(old, true)[0],
    /no owner recorded \(older snapshot\): setuid\/setgid bits dropped on 1 entries/,
    'root never makes an ownerless setuid file setuid-root',
  );
});

test('a hard-link group is read once: later members share the leader chunks, metadata stays their own', () => {
  const base = { type: 'file' as const, mode: 0o644, uid: 1, gid: 2, mtimeNs: '5', size: 3, ino: 9, ctimeNs: '6' };
  const plan = {
    entries: [
      { ...base, path: 'a', linkGroup: 0, pending: true as const },
      { ...base, path: 'b', linkGroup: 0, pending: true as const, leader: 0 },
      { ...base, path: 'c', chunks: [ID('c')] },
    ],
  } as unknown as { entries: PlanEntry[] };
  const out = assembleEntries(plan, () => [ID('a')]);
  assert.deepEqual(
    out.map((e) => [e.path, e.type === 'file' ? e.chunks : []]),
    [
      ['a', [ID('a')]],
      ['b', [ID('a')]],
      ['c', [ID('c')]],
    ],
  );
  assert.deepEqual(
    Object.keys(out[0]),
    ['type', 'path', 'mode', 'uid', 'gid', 'mtimeNs', 'size', 'ino', 'ctimeNs', 'linkGroup', 'chunks'],
    'one key order, so equal trees encode equal',
  );
});

test('restore writes the first kept member of each group and links the others', () => {
  const f = (path: string, linkGroup?: number): FileEntry => ({
    type: 'file',
    path,
    mode: 0o644,
    mtimeNs: '0',
    size: 1,
    chunks: [ID('a')],
    ...(linkGroup !== undefined ? { linkGroup } : {}),
  });
  const { writes, hardlinks } = splitHardLinks([f('x', 0), f('y'), f('z', 0), f('w', 1)]);
  assert.deepEqual(
    writes.map((e) => e.path),
    ['x', 'y', 'w'],
  );
  assert.deepEqual(hardlinks, [{ path: 'z', leader: { path: 'x' } }]);
});

test('raw name bytes must match the path they claim, and count for duplicates', () => {
  const raw = (path: string, bytes: Buffer): TreeEntry => ({
    type: 'file',
    path,
    rawPath: bytes.toString('base64'),
    mode: 0o644,
    mtimeNs: '0',
    size: 0,
    chunks: [],
  });
  const plain = (path: string): TreeEntry => ({ type: 'file', path, mode: 0o644, mtimeNs: '0', size: 0, chunks: [] });
  checkRestorePaths([raw('x\\xff', L('x\xff')), plain('x\\xff')], 's');
  for (const [entries, why] of [
    [[raw('safe\\xff', L('../\xff'))], /do not match/],
    [[raw('x', Buffer.from('x'))], /do not match/],
    [[raw('x\\xff', L('x\xff')), raw('x\\xff', L('x\xff'))], /appears twice/],
    [[raw('\\xff/../x', L('\xff/../x'))], /escapes the target/],
  ] as [TreeEntry[], RegExp][]) {
    assert.throws(
      () => checkRestorePaths(entries, 's'),
      (e: Error) => e instanceof BadInputError && why.test(e.message),
    );
  }
});
