/**
 * Records the histories that test/integration/replay.test.ts replays: one run of every workflow
 * type on the real stack (a prediction loop across continue-as-new, a failover waiting at its
 * approval gate, a drill), written as JSON next to this file's source. Run it when a workflow's
 * behaviour changes on purpose, then commit the files:
 *   npm run build && scripts/node dist/test/histories/record.js
 * The recorded histories are what running workers may hold; replay failing on them means a
 * change would break workflows in flight (patch it, or version the worker).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { spawnSync } from 'node:child_process';
import { findTool } from '../../src/stack/tools';
import { triggerFailover } from '../../src/cli/failover-trigger';
import { failoverStatusQuery, rejectUpdate } from '../../src/contracts/failover-messages';
import { predictionStatusQuery, pushMetricsSignal } from '../../src/contracts/prediction-messages';
import { backupDemo, extendPlan, outcomeOf, runFailover, startDemo, waitFor } from '../helpers/failover-demo';
import { startStack } from '../helpers/stack';

const OUT = path.join(__dirname, '..', '..', '..', 'test', 'histories');

let address = '';
const ids: Record<string, string> = {};

/** The history as the Temporal CLI writes it (`temporal workflow show --output json`), which the replayer reads back. */
async function save(name: string, h: WorkflowHandle, runId?: string): Promise<void> {
  const args = ['workflow', 'show', '--address', address, '--workflow-id', h.workflowId, ...(runId ? ['--run-id', runId] : []), '--output', 'json'];
  const r = spawnSync(findTool('temporal'), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`temporal workflow show ${h.workflowId}: ${r.stderr}`);
  const events = (JSON.parse(r.stdout) as { events?: unknown[] }).events ?? [];
  fs.writeFileSync(path.join(OUT, `${name}.json`), r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`);
  // workflows check their own id (failover-<site>, drill-<site>): replay needs the real one
  ids[name] = h.workflowId;
  fs.writeFileSync(path.join(OUT, 'workflow-ids.json'), `${JSON.stringify(ids, null, 2)}\n`);
  console.log(`recorded ${name}: ${events.length} events`);
}

async function main(): Promise<void> {
  const stack = await startStack({ packSizeMiB: 4, pruneMinGraceHours: 0 });
  address = stack.temporal.address;
  const demo = await startDemo(stack, { name: 'rec' });
  extendPlan(
    stack,
    [{ name: 'model', source: demo.primaryDir }],
    [
      {
        ...demo.config({ name: 'rec' }),
        prediction: { interval: '1s', step: '1s', lag: 0, pushed: [{ series: 'disk_used' }], sinks: { log: true }, policy: { failover: 'recommendOnly' } },
      },
    ],
  );
  stack.startWorker();
  try {
    const start = (type: string, id: string, input: unknown) =>
      stack.client.workflow.start(type, { taskQueue: stack.taskQueue, workflowId: id, args: [input] });
    const done = async (name: string, type: string, input: unknown) => {
      const h = await start(type, `rec-${name}`, input);
      await h.result();
      await save(name, h);
    };
    await backupDemo(stack, { ...demo });
    await done('backup', 'backupWorkflow', { asset: 'model' });
    await done('restore', 'restoreWorkflow', { asset: 'model', target: path.join(stack.dir, 'restored') });
    await done('list-snapshots', 'listSnapshotsWorkflow', {});
    await done('prune', 'pruneWorkflow', { graceHours: 0 });
    await done('verify', 'verifyWorkflow', { readData: 1 });
    await done('dr-status', 'drStatusWorkflow', undefined);

    // a prediction loop that continues as new every 2 iterations
    const loop = await start('predictionWorkflow', 'predict-rec', { site: 'rec', maxIterationsPerRun: 2, maxIterations: 5 });
    const firstRun = loop.firstExecutionRunId;
    await loop.signal(pushMetricsSignal, { samples: [{ series: 'disk_used', v: 0.5 }] });
    await waitFor('a continue-as-new', async () => ((await loop.query(predictionStatusQuery)).iteration >= 3 ? true : undefined), 60_000);
    await save('prediction-first-run', loop, firstRun);
    await stack.client.workflow.getHandle('predict-rec').result();
    await save('prediction-last-run', stack.client.workflow.getHandle('predict-rec'));

    // a drill, then a failover that waits at its approval gate (recorded while it waits), then rejected
    const drill = await runFailover(stack, { site: 'rec', mode: 'drill', source: 'record' });
    if (!drill.ok) throw new Error(`drill failed: ${drill.error}`);
    await save('drill', stack.client.workflow.getHandle('drill-rec'));
    const t = await triggerFailover(stack.client, stack.taskQueue, { site: 'rec', mode: 'planned', source: 'record', reason: 'recording' });
    await waitFor('the approval gate', async () => ((await t.handle.query(failoverStatusQuery)).approval.phase === 'waiting' ? true : undefined), 60_000);
    await save('failover-at-approval', t.handle);
    await t.handle.executeUpdate(rejectUpdate, { args: [{ operator: 'recorder', comment: 'recording only' }] });
    await outcomeOf(t.handle);
    await save('failover-rejected', t.handle);
  } finally {
    await demo.stop();
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
