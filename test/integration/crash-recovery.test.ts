import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { describeTree, makeAssetTree } from '../helpers/tree-fixture';
import { startStack, type TestStack } from '../helpers/stack';
import type { BackupResult, RestoreResult } from '../../src/contracts/types';

let stack: TestStack;
let src: string;

before(async () => {
  stack = await startStack({ packSizeMiB: 16 });
  src = path.join(stack.dir, 'assets');
  makeAssetTree(src, { largeFiles: 3, largeSize: 160 * 1024 * 1024, smallFiles: 2000 });
});
after(async () => {
  await stack?.stop();
});

/** Wait until an activity of `type` has heartbeated progress, i.e. is mid-flight. */
async function waitForHeartbeat(handle: WorkflowHandle, type: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const d = await handle.describe();
    const raw = d.raw.pendingActivities ?? [];
    if (raw.some((a) => a.activityType?.name === type && a.heartbeatDetails?.payloads?.some((p) => p.data?.length))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${type} heartbeat within ${timeoutMs} ms`);
}

function killWorkerHard(): void {
  const w = stack.workers[stack.workers.length - 1];
  process.kill(-w.pid, 'SIGKILL');
}

test('kill -9 the worker mid-backup and mid-restore: a new worker finishes both and the result verifies', async () => {
  stack.startWorker();
  const backup = await stack.client.workflow.start('backupWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: 'crash-backup',
    args: [{ asset: 'crash', source: src }],
  });
  await waitForHeartbeat(backup, 'backupBatch');
  killWorkerHard();
  stack.startWorker();
  const b = (await backup.result()) as BackupResult;
  assert.equal(b.files, 2000 + 3 + 6);

  const target = path.join(stack.dir, 'restored');
  const restore = await stack.client.workflow.start('restoreWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: 'crash-restore',
    args: [{ asset: 'crash', target }],
  });
  await waitForHeartbeat(restore, 'restoreBatch');
  killWorkerHard();
  assert.equal(fs.existsSync(target), false, 'the target is not touched before the swap');
  stack.startWorker();
  const r = (await restore.result()) as RestoreResult;
  assert.equal(r.snapshotId, b.id);
  assert.deepEqual(describeTree(target), describeTree(src));
  assert.deepEqual(
    fs.readdirSync(stack.dir).filter((n) => n.includes('lepton-')),
    [],
    'no staging left',
  );
  const hist = await restore.fetchHistory();
  const retried = (hist.events ?? []).some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
  assert.ok(retried, 'the killed restore batch was retried on the new worker');
});
