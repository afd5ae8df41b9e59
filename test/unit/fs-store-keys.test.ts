import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BadInputError } from '../../src/common/errors';
import { FsStore } from '../../src/engine/store/fs-store';
import { assertValidKey, assertValidPrefix, assertValidRange, compareKeys } from '../../src/engine/store/keys';

const GOOD_KEYS = ['a', 'data/ab/abcdef0123', 'x/.hidden', 'a..b/c', 'snap/ünïcødé/日本語/файл 1+2&3.json', 'k'.repeat(1024)];
const BAD_KEYS = ['', '/a', 'a/../b', '..', '../x', 'a/..', './a', 'a/./b', 'a//b', 'a/', 'a\\b', '..\\x', 'a\0b', 'k'.repeat(1025), 'é'.repeat(513)];

describe('store key validation', () => {
  it('accepts relative /-separated keys', () => {
    for (const key of GOOD_KEYS) assert.doesNotThrow(() => assertValidKey(key), key);
  });

  it('rejects keys that could escape the root or are ambiguous', () => {
    for (const key of BAD_KEYS) assert.throws(() => assertValidKey(key), BadInputError, JSON.stringify(key));
  });

  it('accepts empty, partial and /-terminated prefixes, rejects escaping ones', () => {
    for (const p of ['', 'a', 'a/', 'data/a', 'data/ab/']) assert.doesNotThrow(() => assertValidPrefix(p), p);
    for (const p of ['/', '/a', 'a/../', '..', 'a/..', 'a/.', 'a//', 'a\\']) assert.throws(() => assertValidPrefix(p), BadInputError, p);
  });

  it('rejects negative or fractional byte ranges', () => {
    assert.doesNotThrow(() => assertValidRange({ start: 0, length: 0 }));
    for (const r of [
      { start: -1, length: 1 },
      { start: 0, length: -1 },
      { start: 0.5, length: 1 },
      { start: 0, length: Infinity },
    ]) {
      assert.throws(() => assertValidRange(r), BadInputError, JSON.stringify(r));
    }
  });

  it('orders keys by UTF-8 bytes like S3', () => {
    const keys = ['b', 'a/b', 'a-c', '\u{1F600}', '\uFF5E', 'a'];
    assert.deepEqual([...keys].sort(compareKeys), ['a', 'a-c', 'a/b', 'b', '\uFF5E', '\u{1F600}']);
  });
});

describe('FsStore key handling', () => {
  let parent: string;
  let store: FsStore;

  before(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-fskeys-'));
    store = new FsStore(path.join(parent, 'root'));
  });
  after(() => fs.rmSync(parent, { recursive: true, force: true }));

  it('has a file:// url of its absolute root', () => {
    assert.equal(store.url, `file://${path.join(parent, 'root')}`);
  });

  it('refuses bad keys in every method and writes nothing outside the root', async () => {
    for (const key of ['../escape', '/etc/x', 'a\\b', 'a/../../escape']) {
      await assert.rejects(store.put(key, Buffer.from('x')), BadInputError, key);
      await assert.rejects(store.get(key), BadInputError, key);
      await assert.rejects(store.head(key), BadInputError, key);
      await assert.rejects(store.delete(key), BadInputError, key);
    }
    await assert.rejects(store.list('../'), BadInputError);
    assert.deepEqual(fs.readdirSync(parent), []);
  });

  it('refuses keys that look like its own temp files', async () => {
    await assert.rejects(store.put('a/.0123456789abcdef.lepton-tmp', Buffer.from('x')), BadInputError);
  });

  it('does not list temp files of writes in progress', async () => {
    await store.put('t/real', Buffer.from('x'));
    fs.writeFileSync(path.join(parent, 'root', 't', '.fedcba9876543210.lepton-tmp'), 'partial');
    assert.deepEqual(await store.list('t/'), [{ key: 't/real', size: 1 }]);
  });
});
