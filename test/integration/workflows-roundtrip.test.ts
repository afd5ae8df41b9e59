import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { failureText } from '../helpers/failure-text';
import { describeTree, makeAssetTree } from '../helpers/tree-fixture';
import { startStack, type TestStack } from '../helpers/stack';
import type { BackupResult, RestoreResult } from '../../src/contracts/types';

let stack: TestStack;
let src: string;

before(async () => {
  stack = await startStack();
  src = path.join(stack.dir, 'assets');
  makeAssetTree(src, { largeFiles: 1, largeSize: 100 * 1024 * 1024, smallFiles: 3000 });
  stack.startWorker();
});
after(async () => {
  await stack?.stop();
});

const run = async <T>(type: string, input: unknown, id: string): Promise<T> => {
  try {
    return (await stack.client.workflow.execute(type, {
      taskQueue: stack.taskQueue,
      workflowId: id,
      args: [input],
      workflowExecutionTimeout: '10 minutes',
    })) as T;
  } catch (e) {
    (e as Error).message = failureText(e);
    throw e;
  }
};

test('backup then restore through the workflows reproduces bytes and metadata', async () => {
  const b = await run<BackupResult>('backupWorkflow', { asset: 'demo', source: src }, 'rt-backup-1');
  assert.equal(b.asset, 'demo');
  assert.equal(b.files, 3000 + 1 + 6);
  assert.match(b.summary, /snapshot [0-9a-f]{8} of demo/);
  const target = path.join(stack.dir, 'restored');
  const r = await run<RestoreResult>('restoreWorkflow', { asset: 'demo', snapshot: 'latest', target }, 'rt-restore-1');
  assert.equal(r.snapshotId, b.id);
  assert.deepEqual(describeTree(target), describeTree(src));
  assert.deepEqual(
    fs.readdirSync(stack.dir).filter((n) => n.includes('lepton-')),
    [],
    'no staging or old folders left',
  );
});

test('incremental: a 1% change uploads about that much and reads only the changed file', async () => {
  const ck = path.join(src, 'checkpoints', 'model-0.safetensors');
  const fd = fs.openSync(ck, 'r+');
  fs.writeSync(fd, Buffer.alloc(1024 * 1024, 0x5a), 0, 1024 * 1024, 40 * 1024 * 1024);
  fs.closeSync(fd);
  const b = await run<BackupResult>('backupWorkflow', { asset: 'demo', source: src }, 'rt-backup-2');
  assert.equal(b.strategy, 'incremental');
  assert.equal(b.bytesRead, 100 * 1024 * 1024, 'only the changed checkpoint is read');
  assert.equal(b.filesUnchanged, b.files - 1);
  // FastCDC re-emits the chunks around the edit: at most a few average chunks beyond the change
  assert.ok(b.bytesNew <= 6 * 1024 * 1024, `new chunk bytes ${b.bytesNew}`);
  assert.ok(b.bytesUploaded <= 7 * 1024 * 1024, `uploaded ${b.bytesUploaded}`);
});

test('full re-reads every byte, differential diffs against the last full', async () => {
  const full = await run<BackupResult>('backupWorkflow', { asset: 'demo', source: src, strategy: 'full' }, 'rt-backup-full');
  assert.equal(full.bytesRead, full.bytes, 'full reads everything');
  assert.ok(full.bytesNew < 1024 * 1024, 'but uploads nothing already stored');
  fs.writeFileSync(path.join(src, 'configs', 'new.yaml'), 'a: 1\n');
  const inc = await run<BackupResult>('backupWorkflow', { asset: 'demo', source: src }, 'rt-backup-inc');
  fs.writeFileSync(path.join(src, 'configs', 'new2.yaml'), 'b: 2\n');
  const diff = await run<BackupResult>('backupWorkflow', { asset: 'demo', source: src, strategy: 'differential' }, 'rt-backup-diff');
  assert.equal(diff.parent, full.id, 'differential parent is the last full, not the last incremental');
  assert.notEqual(inc.id, diff.parent);
  assert.equal(diff.bytesRead, 5 + 5, 'both files changed since the full are read');
  const target = path.join(stack.dir, 'restored-diff');
  await run('restoreWorkflow', { snapshot: diff.id, target }, 'rt-restore-diff');
  assert.deepEqual(describeTree(target), describeTree(src));
});

test('bad input fails at once, naming the field', async () => {
  await assert.rejects(run('backupWorkflow', { asset: '../etc' }, 'bad-1'), (e) => /asset: must be letters/.test(failureText(e)));
  await assert.rejects(run('backupWorkflow', {}, 'bad-2'), (e) => /asset: is required/.test(failureText(e)));
  await assert.rejects(run('backupWorkflow', { asset: 'nope' }, 'bad-3'), (e) => /unknown asset "nope"/.test(failureText(e)));
  await assert.rejects(run('restoreWorkflow', { asset: 'demo', target: 'relative/dir' }, 'bad-4'), (e) =>
    /target: must be an absolute path/.test(failureText(e)),
  );
  const target = path.join(stack.dir, 'never');
  await assert.rejects(run('restoreWorkflow', { snapshot: 'deadbeef', target }, 'bad-5'), (e) => /snapshot deadbeef does not exist/.test(failureText(e)));
  await assert.rejects(run('backupWorkflow', { asset: 'ghost', source: '/does/not/exist' }, 'bad-6'), (e) =>
    /source: \/does\/not\/exist is outside the plan's allowed roots/.test(failureText(e)),
  );
  await assert.rejects(run('backupWorkflow', { asset: 'ghost', source: path.join(stack.dir, 'does-not-exist') }, 'bad-7'), (e) =>
    /does not exist/.test(failureText(e)),
  );
  assert.equal(fs.existsSync(target), false);
  assert.deepEqual(
    fs.readdirSync(stack.dir).filter((n) => n.includes('lepton-')),
    [],
  );
});
