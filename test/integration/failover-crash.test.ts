import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { triggerFailover } from '../../src/cli/failover-trigger';
import { approveUpdate, failoverStatusQuery } from '../../src/contracts/failover-messages';
import { backupDemo, extendPlan, modelStatus, outcomeOf, resetDemo, siblings, startDemo, text, waitFor, type DemoSite } from '../helpers/failover-demo';
import { startStack, type TestStack } from '../helpers/stack';

/** kill -9 the worker mid-failover: a new worker finishes or compensates the run; traffic is never half-switched. */
let stack: TestStack;
let demo: DemoSite;

before(async () => {
  stack = await startStack();
  const d = await startDemo(stack, { name: 'demo', weightsBytes: 160 * 1024 * 1024 });
  const slowReload = {
    type: 'command',
    argv: [
      process.execPath,
      '-e',
      `setTimeout(() => fetch('${d.standby.url}/admin/reload', { method: 'POST' }).then((r) => process.exit(r.ok ? 0 : 1)), 3000)`,
    ],
    timeoutMs: 15_000,
  };
  const base = d.config();
  extendPlan(
    stack,
    [{ name: 'model', source: d.primaryDir }],
    [base, d.config({ name: 'demo-slow', standby: { ...(base.standby as object), afterRestore: slowReload } })],
  );
  stack.env.LEPTON_DR_ALLOW_FAULT_INJECTION = '1';
  stack.startWorker();
  demo = { ...d, snapshotId: await backupDemo(stack, d) };
});
after(async () => {
  await demo?.stop();
  await stack?.stop();
});

function killWorkerHard(): void {
  process.kill(-stack.workers[stack.workers.length - 1].pid, 'SIGKILL');
}

async function pendingActivity(h: WorkflowHandle, type: string, withHeartbeat: boolean): Promise<true | undefined> {
  const raw = (await h.describe()).raw.pendingActivities ?? [];
  return raw.some((a) => a.activityType?.name === type && (!withHeartbeat || a.heartbeatDetails?.payloads?.some((p) => p.data?.length))) ? true : undefined;
}

/** Either fully on the standby (snapshot model, primary fenced) or fully back (primary serving, unfenced, standby as before). */
async function assertConsistent(ok: boolean): Promise<string> {
  const t = await text(`${demo.nginx.url}/health`);
  const fenced = (await modelStatus(demo.primary)).fenced;
  if (ok) {
    assert.equal(t.by, 'standby');
    assert.equal(t.body, demo.sha.v1);
    assert.equal(fenced, true);
    assert.deepEqual(siblings(demo.standbyDir), ['model']);
    return 'finished';
  }
  assert.equal(t.by, 'primary');
  assert.equal(t.body, demo.sha.v2);
  assert.equal(fenced, false);
  assert.deepEqual(siblings(demo.standbyDir), ['model']);
  assert.equal((await text(`${demo.standby.url}/health`)).body, demo.sha.v0);
  return 'compensated';
}

test('kill -9 mid-restore: the new worker finishes the failover', { timeout: 180_000 }, async () => {
  await resetDemo(demo);
  const t = await triggerFailover(stack.client, stack.taskQueue, { site: 'demo', mode: 'planned', skipApproval: true, source: 'test' });
  const child = stack.client.workflow.getHandle(`failover-demo-restore-model-${t.runId.slice(0, 8)}`);
  await waitFor('a restore batch heartbeat', () => pendingActivity(child, 'restoreBatch', true), 60_000);
  killWorkerHard();
  stack.startWorker();
  const out = await outcomeOf(t.handle);
  assert.ok(out.ok, out.error);
  assert.equal(await assertConsistent(true), 'finished');
  const hist = await child.fetchHistory();
  assert.ok(
    (hist.events ?? []).some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1),
    'the killed batch was retried',
  );
});

test('kill -9 mid-compensation: the new worker completes the compensation', { timeout: 180_000 }, async () => {
  await resetDemo(demo);
  const t = await triggerFailover(stack.client, stack.taskQueue, {
    site: 'demo-slow',
    mode: 'planned',
    skipApproval: true,
    source: 'test',
    faultInjection: { failAt: 'validate' },
  });
  await waitFor('compensation', async () => ((await t.handle.query(failoverStatusQuery)).phase === 'compensating' ? true : undefined), 60_000);
  await waitFor('the slow reload of the standby', () => pendingActivity(t.handle, 'sideAction', false), 60_000);
  killWorkerHard();
  stack.startWorker();
  const out = await outcomeOf(t.handle);
  assert.equal(out.report.outcome, 'compensated', out.error);
  assert.deepEqual(
    out.report.compensations.map((c) => `${c.name}:${c.status}`),
    ['switch traffic back to the primary:ok', "put back the standby's previous model:ok", 'reload the standby with its previous data:ok'],
  );
  assert.equal(await assertConsistent(false), 'compensated');
});

test('kill -9 while waiting for approval: the gate survives, the approval on the new worker completes it', { timeout: 120_000 }, async () => {
  await resetDemo(demo);
  const t = await triggerFailover(stack.client, stack.taskQueue, { site: 'demo', mode: 'planned', source: 'test' });
  await waitFor('the gate', async () => ((await t.handle.query(failoverStatusQuery)).approval.phase === 'waiting' ? true : undefined), 60_000);
  killWorkerHard();
  stack.startWorker();
  await t.handle.executeUpdate(approveUpdate, { args: [{ operator: 'dave' }] });
  const out = await outcomeOf(t.handle);
  assert.ok(out.ok, out.error);
  assert.equal(await assertConsistent(true), 'finished');
});
