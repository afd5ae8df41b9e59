import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BadInputError, IntegrityError } from '../../src/common/errors';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { verifyRepository } from '../../src/engine/maintenance/verify';
import { Repository } from '../../src/engine/repo/repository';
import { FsStore } from '../../src/engine/store/fs-store';
import { describeTree, makeAssetTree } from '../helpers/tree-fixture';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-enc-');

const key = Buffer.alloc(32, 9);

function grepStore(root: string, needle: Buffer): boolean {
  const walk = (d: string): boolean =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .some((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : fs.readFileSync(path.join(d, e.name)).includes(needle)));
  return walk(root);
}

test('an encrypted repository round-trips, stores no plaintext, and needs its password', async () => {
  const src = path.join(scratch.tmp, 'src');
  makeAssetTree(src, { largeFiles: 1, largeSize: 5 * 1024 * 1024, smallFiles: 100 });
  fs.writeFileSync(path.join(src, 'configs', 'secret.txt'), 'the launch codes are 0000 0000 0000');
  const root = path.join(scratch.tmp, 'repo');
  const repo = await Repository.open(new FsStore(root), key, { create: true, password: 'correct horse' });
  assert.equal(repo.codec.encrypted, true);
  const s = await backupDirect(repo, { asset: 'enc', source: src, strategy: 'incremental' }, scratch.pool);
  assert.equal(grepStore(root, Buffer.from('the launch codes')), false, 'file content is not stored in clear');
  assert.equal(grepStore(root, Buffer.from('secret.txt')), false, 'file names are not stored in clear');

  const reopened = await Repository.open(new FsStore(root), key, { password: 'correct horse' });
  const out = path.join(scratch.tmp, 'out');
  await restoreDirect(reopened, { snapshot: { id: s.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(src));
  assert.deepEqual((await verifyRepository(reopened, { readData: 1 })).errors, []);

  await assert.rejects(
    Repository.open(new FsStore(root), key, { password: 'wrong' }),
    (e: Error) => e instanceof BadInputError && /password is wrong/.test(e.message),
  );
  await assert.rejects(Repository.open(new FsStore(root), key, {}), /is encrypted: give its password/);

  // flip a byte of a sealed chunk: authentication fails, naming the file
  const tree = await reopened.loadTree(s);
  const f = tree.find((e) => e.path === 'checkpoints/model-0.safetensors');
  assert.ok(f && f.type === 'file');
  const loc = (await reopened.loadIndex(true)).get(f.chunks[0]);
  assert.ok(loc);
  const packFile = path.join(root, 'data', loc.pack.slice(0, 2), loc.pack);
  const body = fs.readFileSync(packFile);
  body[loc.offset + 40] ^= 1;
  fs.writeFileSync(packFile, body);
  await assert.rejects(
    restoreDirect(reopened, { snapshot: { id: s.id }, target: path.join(scratch.tmp, 'out2') }),
    (e: Error) => e instanceof IntegrityError && e.message.includes('checkpoints/model-0.safetensors'),
  );
});
