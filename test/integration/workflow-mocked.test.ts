import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import type { FailoverReport } from '../../src/common/failover-report';
import { FailureType } from '../../src/common/failure-types';
import { triggerFailover } from '../../src/cli/failover-trigger';
import { failoverWorkflowId } from '../../src/contracts/failover-inputs';
import { rejectUpdate } from '../../src/contracts/failover-messages';
import { workflowRef } from '../../src/contracts/workflows';
import { brief, failoverMocks } from '../helpers/failover-mocks';
import { mockedWorkflows } from '../helpers/mocked-workflows';

/**
 * The failover saga and its approval gate against mocked activities, on the dev server (the
 * SDK's time-skipping server is not installed here): seconds per test, and the order of every
 * action and compensation is the mocks' call log. The activities themselves are tested with the
 * real components elsewhere (failover-saga.test.ts and friends).
 */

const mocked = mockedWorkflows();
const withWorker = mocked.withWorker;

function failoverOf(taskQueue: string, site: string) {
  return mocked.env.client.workflow.execute(workflowRef('failoverWorkflow'), {
    taskQueue,
    workflowId: failoverWorkflowId(site),
    args: [{ site, mode: 'planned', source: 'test', reason: 'mocked' }],
  });
}

async function failure(p: Promise<unknown>): Promise<{ type?: string; report: FailoverReport }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WorkflowFailedError, String(e));
    const cause = e.cause as ApplicationFailure;
    return { type: cause.type ?? undefined, report: cause.details?.[0] as FailoverReport };
  }
  assert.fail('the failover should have failed');
}

test('a failed traffic check compensates in reverse order of the actions: switch back, put the data back, reload, unfence', async () => {
  const m = failoverMocks(brief(`comp${process.pid}`, { required: false, timeoutMs: 60_000, onTimeout: 'abort' }), 'checkTraffic');
  const f = await withWorker(m.activities, (q) => failure(failoverOf(q, `comp${process.pid}`)));
  assert.equal(f.type, FailureType.FailoverCompensated);
  assert.equal(f.report.outcome, 'compensated');
  const actions = m.calls.slice(0, m.calls.indexOf('checkTraffic') + 1);
  assert.deepEqual(
    actions.filter((c) => /sideAction|switchTraffic|preserveTarget|checkTraffic/.test(c)),
    ['sideAction primary fence', 'preserveTarget', 'sideAction standby afterRestore', 'switchTraffic standby', 'checkTraffic'],
  );
  assert.deepEqual(m.calls.slice(m.calls.indexOf('checkTraffic') + 1), [
    'switchTraffic primary',
    'putBackTarget',
    'sideAction standby afterRestore',
    'sideAction primary unfence',
  ]);
  assert.deepEqual(
    f.report.compensations.map((c) => [c.name, c.status]),
    [
      ['switch traffic back to the primary', 'ok'],
      ["put back the standby's previous model", 'ok'],
      ['reload the standby with its previous data', 'ok'],
      ['unfence the primary', 'ok'],
    ],
  );
  assert.equal(m.reports.at(-1)?.outcome, 'compensated', 'the final report is stored');
});

test('an approval that times out with onTimeout "abort" aborts before production is touched: no fence, no switch', async () => {
  const m = failoverMocks(brief(`abort${process.pid}`, { required: true, timeoutMs: 1000, onTimeout: 'abort' }));
  const f = await withWorker(m.activities, (q) => failure(failoverOf(q, `abort${process.pid}`)));
  assert.equal(f.type, FailureType.FailoverAborted);
  assert.equal(f.report.outcome, 'aborted');
  assert.match(f.report.steps.find((s) => s.name === 'approval')?.error ?? '', /no decision within 1\.00s: aborted/);
  assert.ok(!m.calls.some((c) => c.startsWith('switchTraffic') || c === 'sideAction primary fence'), m.calls.join(', '));
  assert.ok(m.calls.includes('putBackTarget'), 'the standby gets its previous data back');
});

test('an approval that times out with onTimeout "proceed" fences after the gate, then switches', async () => {
  const m = failoverMocks(brief(`proceed${process.pid}`, { required: true, timeoutMs: 1000, onTimeout: 'proceed' }));
  const report = await withWorker(m.activities, (q) => failoverOf(q, `proceed${process.pid}`));
  assert.equal(report.outcome, 'succeeded');
  assert.ok(m.calls.indexOf('verifySide standby') < m.calls.indexOf('sideAction primary fence'), m.calls.join(', '));
  assert.ok(m.calls.indexOf('sideAction primary fence') < m.calls.indexOf('switchTraffic standby'), m.calls.join(', '));
  assert.ok(!m.calls.includes('putBackTarget'));
});

test('duplicate triggers of a site join the one running failover', async () => {
  const site = `dup${process.pid}`;
  const m = failoverMocks(brief(site, { required: true, timeoutMs: 600_000, onTimeout: 'abort' }));
  await withWorker(m.activities, async (taskQueue) => {
    const input = { site, mode: 'planned' as const, source: 'test' };
    const [a, b] = await Promise.all([triggerFailover(mocked.env.client, taskQueue, input), triggerFailover(mocked.env.client, taskQueue, input)]);
    assert.equal(a.workflowId, b.workflowId);
    assert.equal(a.runId, b.runId);
    assert.deepEqual([a.joined, b.joined].sort(), [false, true]);
    const c = await triggerFailover(mocked.env.client, taskQueue, input);
    assert.equal(c.joined, true);
    assert.equal(c.runId, a.runId);
    await a.handle.executeUpdate(rejectUpdate, { args: [{ operator: 'test', comment: 'duplicate trigger test' }] });
    const f = await failure(a.handle.result());
    assert.equal(f.report.outcome, 'aborted');
  });
  assert.equal(m.calls.filter((c) => c === 'openIncident').length, 1, 'one run, one incident');
});
