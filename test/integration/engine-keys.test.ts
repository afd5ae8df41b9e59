import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BadInputError } from '../../src/common/errors';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { addKey, changePassword, CONFIG_KEY_ID, listKeys, removeKey } from '../../src/engine/repo/key-store';
import { Repository } from '../../src/engine/repo/repository';
import { FsStore } from '../../src/engine/store/fs-store';
import { describeTree } from '../helpers/tree-fixture';

const key = Buffer.alloc(32, 9);
let tmp: string;
before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-keys-'))));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const wrong = (e: Error) => e instanceof BadInputError && /password is wrong/.test(e.message);

test('passwords are added, changed and removed without touching the data', async () => {
  const src = path.join(tmp, 'src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'model.bin'), Buffer.alloc(300_000, 7));
  const store = new FsStore(path.join(tmp, 'repo'));
  const first = await Repository.open(store, key, { create: true, password: 'first password' });
  const snap = await backupDirect(first, { asset: 'm', source: src, strategy: 'full' });
  const dataBefore = (await store.list('data/')).map((o) => o.key);

  const second = await addKey(first, 'second password', 'ops laptop');
  const viaSecond = await Repository.open(store, key, { password: 'second password' });
  assert.equal(viaSecond.unlocked?.keyId, second);
  assert.deepEqual(
    (await listKeys(viaSecond)).map((k) => [k.id, k.current, k.label]),
    [
      [CONFIG_KEY_ID, false, undefined],
      [second, true, 'ops laptop'],
    ],
  );

  // the key in use cannot be removed from under the caller; another one can
  await assert.rejects(removeKey(viaSecond, second), /opened the repository with/);
  await removeKey(viaSecond, CONFIG_KEY_ID);
  await assert.rejects(Repository.open(store, key, { password: 'first password' }), wrong);

  const { added, removed } = await changePassword(viaSecond, 'third password');
  assert.equal(removed, second);
  await assert.rejects(Repository.open(store, key, { password: 'second password' }), wrong);
  const viaThird = await Repository.open(store, key, { password: 'third password' });
  assert.equal(viaThird.unlocked?.keyId, added);
  await assert.rejects(removeKey(viaThird, added, true), /only key/);

  assert.deepEqual(
    (await store.list('data/')).map((o) => o.key),
    dataBefore,
    'no pack was rewritten',
  );
  const out = path.join(tmp, 'out');
  await restoreDirect(viaThird, { snapshot: { id: snap.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(src));
});

test('key management refuses a repository without encryption and short passwords', async () => {
  const plain = await Repository.open(new FsStore(path.join(tmp, 'plain')), key, { create: true });
  await assert.rejects(addKey(plain, 'a long password'), /not encrypted/);
  const enc = await Repository.open(new FsStore(path.join(tmp, 'enc')), key, { create: true, password: 'long enough' });
  await assert.rejects(addKey(enc, 'short'), /at least 8 characters/);
});
