import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { scanSource } from '../../src/engine/backup/scan';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-scan-'));
  const w = (p: string, s = 'x') => {
    fs.mkdirSync(path.dirname(path.join(tmp, p)), { recursive: true });
    fs.writeFileSync(path.join(tmp, p), s);
  };
  w('a/keep.txt');
  w('a/b/skip.bin');
  w('a/b/c/keep.txt');
  w('a.z/skip.bin');
  w('d/skip.bin');
  fs.mkdirSync(path.join(tmp, 'empty/inner'), { recursive: true });
  fs.mkdirSync(path.join(tmp, 'wanted-empty'));
  w('links/one');
  fs.linkSync(path.join(tmp, 'links/one'), path.join(tmp, 'links/two'));
  fs.linkSync(path.join(tmp, 'a/keep.txt'), path.join(tmp, 'outside-of-source'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the scan walks as it is iterated, in tree order; include keeps only the folders that hold kept entries', async () => {
  const scan = await scanSource({ source: path.join(tmp), include: ['**/*.txt', 'wanted-empty'], exclude: ['outside-of-source'], xattrs: false });
  const it = scan.entries[Symbol.iterator]();
  const first = it.next();
  assert.equal(first.value?.path, 'a', 'entries come one at a time');
  const paths = [`dir a`];
  for (let n = it.next(); !n.done; n = it.next()) paths.push(`${n.value.type} ${n.value.path}`);
  assert.throws(() => [...scan.entries], /iterated once/);
  assert.deepEqual(paths, ['dir a', 'dir a/b', 'dir a/b/c', 'file a/b/c/keep.txt', 'file a/keep.txt', 'dir wanted-empty']);
});

test('files with several links are numbered per inode in the order they are first seen; one whose other link is outside is a group of one', async () => {
  const scan = await scanSource({ source: path.join(tmp, 'a'), xattrs: false });
  const all = [...scan.entries];
  const keep = all.find((e) => e.path === 'keep.txt');
  assert.equal(keep?.type === 'file' && keep.linkGroup, 0);
  const whole = [...(await scanSource({ source: tmp, xattrs: false })).entries];
  const group = (p: string) => {
    const e = whole.find((x) => x.path === p);
    return e?.type === 'file' ? e.linkGroup : undefined;
  };
  assert.equal(group('a/keep.txt'), 0);
  assert.equal(group('links/one'), 1);
  assert.equal(group('links/two'), 1);
  assert.equal(group('outside-of-source'), 0);
  assert.equal(group('d/skip.bin'), undefined);
});
