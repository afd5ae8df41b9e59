import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyToPath, parentsOf } from '../../src/engine/source/s3-keys';
import { s3StagingFor } from '../../src/engine/restore/s3-publish';

test('keys become paths; keys that would escape or alias a target are refused with the reason', () => {
  assert.deepEqual(keyToPath('a/b/c.bin'), { path: 'a/b/c.bin', folder: false });
  assert.deepEqual(keyToPath('模型/🚀/ß.bin'), { path: '模型/🚀/ß.bin', folder: false });
  assert.deepEqual(keyToPath('a/b/'), { path: 'a/b', folder: true });
  assert.match((keyToPath('a/../../etc/passwd') as { refused: string }).refused, /"\.\." segment/);
  assert.match((keyToPath('..') as { refused: string }).refused, /"\.\."/);
  assert.match((keyToPath('a/./b') as { refused: string }).refused, /"\."/);
  assert.match((keyToPath('a//b') as { refused: string }).refused, /empty segment/);
  assert.match((keyToPath('/a') as { refused: string }).refused, /empty segment/);
  assert.deepEqual(keyToPath('a..b/..c'), { path: 'a..b/..c', folder: false });
  assert.deepEqual(parentsOf('a/b/c'), ['a', 'a/b']);
});

test('the staging prefix of an S3 restore sits next to the target, not inside it', () => {
  assert.equal(s3StagingFor('serving/model-a/', 'r1'), 'serving/.model-a.lepton-restore-r1/');
  assert.equal(s3StagingFor('top/', 'r1'), '.top.lepton-restore-r1/');
});
