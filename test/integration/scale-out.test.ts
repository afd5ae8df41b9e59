import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { livePollers } from '../../src/common/task-queue-pollers';
import type { BackupResult, RestoreResult } from '../../src/contracts/types';
import { emptyTally, tallyHistory } from '../helpers/activity-tally';
import { DIST_ROOT, startStack, type TestStack } from '../helpers/stack';
import { describeTree, makeAssetTree } from '../helpers/tree-fixture';

/**
 * One backup served by two worker processes on one task queue. Each worker runs one activity at
 * a time, so while one holds a batch the next batch can only go to the other; the backup
 * workflow schedules several at once, and both workers are polling before it starts. Without
 * the asset's `batch` setting the tree would be a single batch (the engine cuts at 5000 files).
 */
const SMALL_FILES = 2000;
const BATCH_FILES = 250;

let stack: TestStack;
let src: string;

before(async () => {
  stack = await startStack({
    assets: [{ name: 'tree', source: 'tree', batch: { files: BATCH_FILES } }],
    // the prebuilt workflow bundle: two workers need not bundle the workflow code each
    workerEnv: {
      LEPTON_DR_MAX_CONCURRENT_ACTIVITIES: '1',
      LEPTON_DR_CHUNK_THREADS: '1',
      LEPTON_DR_WORKFLOW_BUNDLE: path.join(DIST_ROOT, 'workflow-bundle.js'),
    },
  });
  src = path.join(stack.dir, 'tree');
  makeAssetTree(src, { largeFiles: 1, largeSize: 2 * 1024 * 1024, smallFiles: SMALL_FILES });
});
after(async () => {
  await stack?.stop();
});

async function untilActivityPollers(n: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { activity } = await livePollers(stack.client.connection, stack.temporal.namespace, stack.taskQueue);
    if (activity >= n) return;
    if (Date.now() > deadline) throw new Error(`${activity} of ${n} workers poll activity tasks after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

test('two worker processes on one task queue both run batches of one backup, and the snapshot restores byte-equal', async () => {
  const workers = [stack.startWorker(), stack.startWorker()];
  await untilActivityPollers(2);

  const backup = await stack.client.workflow.start('backupWorkflow', { taskQueue: stack.taskQueue, workflowId: 'scale-out-backup', args: [{ asset: 'tree' }] });
  const b = (await backup.result()) as BackupResult;
  assert.equal(b.files, SMALL_FILES + 1 + 6);

  const t = await tallyHistory(stack.client, backup.workflowId, emptyTally());
  const identities = workers.map((w) => `${w.pid}@${os.hostname()}`);
  for (const id of identities) assert.ok((t.batches[id] ?? 0) >= 1, `worker ${id} ran no batch: ${JSON.stringify(t.batches)}`);
  assert.deepEqual(Object.keys(t.batches).sort(), [...identities].sort(), 'batches ran on these two workers only');
  const history = await backup.fetchHistory();
  const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'backupBatch').length;
  assert.ok(scheduled >= Math.floor(SMALL_FILES / BATCH_FILES), `the tree was cut into ${scheduled} batches`);

  const target = path.join(stack.dir, 'restored');
  const r = (await stack.client.workflow.execute('restoreWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: 'scale-out-restore',
    args: [{ asset: 'tree', snapshot: b.id, target }],
  })) as RestoreResult;
  assert.equal(r.files, b.files);
  assert.deepEqual(describeTree(target), describeTree(src));
});
