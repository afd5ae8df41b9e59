import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { failoverWorkflowId } from '../../src/contracts/failover-inputs';
import { failoverStatusQuery, rejectUpdate } from '../../src/contracts/failover-messages';
import { alertSignal, predictionStatusQuery } from '../../src/contracts/prediction-messages';
import { backupDemo, extendPlan, modelStatus, outcomeOf, startDemo, waitFor, type DemoSite } from '../helpers/failover-demo';
import { callLog, type CallLog } from '../helpers/recorders';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * The critical path end to end: the prediction loop's risk crosses `critical`, it requests a
 * failover, and the real failoverWorkflow waits at its approval gate with the standby restored
 * and verified while production is untouched (not fenced, still serving); a rejection ends it
 * without ever fencing.
 */
let stack: TestStack;
let demo: DemoSite;
let rec: CallLog;

before(async () => {
  stack = await startStack();
  const d = await startDemo(stack, { name: 'crit' });
  rec = callLog(path.join(stack.dir, 'calls.log'));
  const primary = d.config().primary as Record<string, unknown>;
  extendPlan(
    stack,
    [{ name: 'model', source: d.primaryDir }],
    [
      d.config({
        name: 'crit',
        primary: { ...primary, fence: rec.action('fence-primary'), unfence: rec.action('unfence-primary') },
        prediction: {
          interval: '1s',
          step: '1s',
          lag: 0,
          pushed: [{ series: 'disk_used' }],
          cooldown: '10m',
          sinks: { log: true },
          policy: { failover: 'request' },
        },
      }),
    ],
  );
  stack.startWorker();
  demo = { ...d, snapshotId: await backupDemo(stack, d) };
});
after(async () => {
  await demo?.stop();
  await stack?.stop();
});

test(
  'a critical prediction brings a real failover to its approval gate with production untouched; rejecting it never fences',
  { timeout: 120_000 },
  async () => {
    const loop = await stack.client.workflow.start('predictionWorkflow', { taskQueue: stack.taskQueue, workflowId: 'predict-crit', args: [{ site: 'crit' }] });
    await waitFor('the first iteration', async () => ((await loop.query(predictionStatusQuery)).iteration >= 1 ? true : undefined));
    const alert = {
      status: 'firing' as const,
      fingerprint: 'disk-1',
      startsAt: new Date().toISOString(),
      labels: { alertname: 'DiskWillFill', severity: 'critical', dr_site: 'crit', dr_risk: '0.99' },
      annotations: { summary: 'disk fills in 20 min' },
    };
    await loop.signal(alertSignal, { alerts: [alert] });
    const s = await waitFor('the critical level and its failover request', async () => {
      const x = await loop.query(predictionStatusQuery);
      return x.level === 'critical' && x.recentActions.some((a) => a.kind === 'failover') ? x : undefined;
    });
    const requested = s.recentActions.find((a) => a.kind === 'failover');
    assert.equal(requested?.outcome, 'started', requested?.detail);
    assert.equal(requested?.workflowId, failoverWorkflowId('crit'));

    const failover = stack.client.workflow.getHandle(failoverWorkflowId('crit'));
    const steps = await waitFor(
      'the approval gate',
      async () => {
        const st = await failover.query(failoverStatusQuery);
        return st.approval.phase === 'waiting' ? st.report.steps.map((x) => `${x.name}:${x.status}`) : undefined;
      },
      60_000,
    );
    assert.deepEqual(steps, ['open-incident:ok', 'select-snapshot:ok', 'restore:ok', 'verify:ok', 'approval:running']);
    assert.deepEqual(rec.calls(), [], 'production is not fenced while the request waits for a human');
    assert.equal((await modelStatus(demo.primary)).fenced, false, 'the primary still takes writes');

    await failover.executeUpdate(rejectUpdate, { args: [{ operator: 'oncall', comment: 'false positive' }] });
    const out = await outcomeOf(failover);
    assert.equal(out.report.outcome, 'aborted');
    assert.deepEqual(rec.calls(), []);
    await loop.terminate('test over');
  },
);
