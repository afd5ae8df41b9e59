import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { BackupResult } from '../../src/contracts/types';
import { failureText } from '../helpers/failure-text';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * The plan's limits through a worker process and Temporal: an asset limited to 96 KiB/s backs
 * up 3 MiB in 4 MiB packs, so its one batch waits about 32 s for its uploads, longer than the
 * batch heartbeat timeout (20 s). It completes in one attempt only because every running activity
 * keeps heartbeating (src/worker/keep-alive-interceptor.ts); and it cannot have gone faster than the asset's limit.
 */
const RATE = 96 * 1024;
let stack: TestStack;
let src: string;

before(async () => {
  stack = await startStack({
    packSizeMiB: 4,
    repository: { limits: { uploadBytesPerSec: '1MiB', downloadBytesPerSec: '1MiB', maxRequests: 4 } },
    workerEnv: { LEPTON_DR_CHUNK_THREADS: '1', LEPTON_DR_CHUNK_NICE: '10', LEPTON_DR_CHUNK_IO: 'idle' },
    assets: [{ name: 'slow', source: 'PLACEHOLDER', limits: { uploadBytesPerSec: RATE } }],
  });
  src = path.join(stack.dir, 'slow');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'weights.bin'), randomBytes(3 * 1024 * 1024));
  // the asset's source is the folder made above (the stack writes the plan before it exists)
  fs.writeFileSync(stack.planFile, fs.readFileSync(stack.planFile, 'utf8').replace('PLACEHOLDER', src));
  stack.startWorker();
});
after(async () => {
  await stack?.stop();
});

test('an asset limited below a pack per heartbeat timeout backs up in one attempt, no faster than its limit', async () => {
  const id = 'limited-backup-1';
  const t0 = performance.now();
  let b: BackupResult;
  try {
    b = (await stack.client.workflow.execute('backupWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: id,
      args: [{ asset: 'slow' }],
      workflowExecutionTimeout: '5 minutes',
    })) as BackupResult;
  } catch (e) {
    throw new Error(failureText(e));
  }
  const wallMs = performance.now() - t0;
  assert.ok(b.bytesUploaded >= 3 * 1024 * 1024);
  // what the limit forces: the packs' bytes (all but a few KiB of documents) at 96 KiB/s
  assert.ok(wallMs >= ((3 * 1024 * 1024) / RATE) * 1000 * 0.95, `backed up in ${wallMs.toFixed(0)} ms, faster than the asset's limit allows`);
  const history = await stack.client.workflow.getHandle(id).fetchHistory();
  // retries happen on the server: a started event records the attempt that finished, and the failure before it
  const started = (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes] : []));
  assert.ok(started.length >= 3, 'plan, batch and commit ran');
  for (const a of started) {
    assert.equal(a.attempt, 1, `an activity needed attempt ${a.attempt}: ${a.lastFailure?.message ?? ''} (heartbeats must keep coming while a batch waits)`);
  }
});
