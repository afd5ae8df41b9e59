import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { FailoverReport } from '../../src/common/failover-report';
import { FailureType } from '../../src/common/failure-types';
import { triggerFailover } from '../../src/cli/failover-trigger';
import { failoverWorkflowId } from '../../src/contracts/failover-inputs';
import { rejectUpdate } from '../../src/contracts/failover-messages';
import type { SelectedSnapshot, SiteBrief } from '../../src/contracts/failover-types';
import { workflowRef } from '../../src/contracts/workflows';
import { startTemporal, type TemporalDev } from '../helpers/temporal';

/**
 * The failover saga and its approval gate against mocked activities, on the dev server (the
 * SDK's time-skipping server is not installed here): seconds per test, and the order of every
 * action and compensation is the mocks' call log. The activities themselves are tested with the
 * real components elsewhere (failover-saga.test.ts and friends).
 */

const BUNDLE = path.join(__dirname, '..', '..', 'workflow-bundle.js');
const SNAP: SelectedSnapshot = { asset: 'model', id: 'a'.repeat(32), time: '2026-12-01T10:00:00.000Z', files: 1, bytes: 10 };

let temporal: TemporalDev;
let env: TestWorkflowEnvironment;
let queue = 0;

before(async () => {
  temporal = await startTemporal();
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: temporal.address, namespace: temporal.namespace });
});
after(async () => {
  await env?.teardown();
  await temporal?.stop();
});

function brief(site: string, approval: SiteBrief['approval']): SiteBrief {
  const side = (dir: string) => ({
    upstream: `127.0.0.1:${dir === 'p' ? 1 : 2}`,
    restore: [{ asset: 'model', targetDir: `/srv/${dir}/model` }],
    health: 1,
    fence: true,
    unfence: true,
    afterRestore: true,
  });
  return {
    site,
    objectives: { rtoSeconds: 600, rpoSeconds: 3600 },
    approval,
    fencing: { at: 'start', drainMs: 0 },
    failbackFrom: 'standby',
    primary: side('p'),
    standby: side('s'),
    trafficChecks: 1,
    trafficOn: 'primary',
  };
}

/** Mocked failover and restore activities: each call is logged as "<activity> <what>"; `fail` names the one that throws. */
function mocks(site: SiteBrief, fail?: string) {
  const calls: string[] = [];
  const reports: FailoverReport[] = [];
  const log = (what: string) => {
    calls.push(what);
    if (what === fail) throw ApplicationFailure.create({ message: `mock: ${what} failed`, type: FailureType.HealthCheckFailed, nonRetryable: true });
  };
  const health = {
    ok: true,
    durationMs: 1,
    checks: [{ name: 'c', ok: true, attempts: 1, durationMs: 1 }],
    filesVerified: [],
    attempt: 1,
    healthyAt: new Date().toISOString(),
  };
  const activities = {
    openIncident: async () => (log('openIncident'), site),
    injectFault: async () => log('injectFault'),
    sideAction: async (i: { side: string; action: string }) => (
      log(`sideAction ${i.side} ${i.action}`),
      { ok: true, target: '-', durationMs: 1, detail: 'mock', attempt: 1 }
    ),
    selectSnapshots: async () => (log('selectSnapshots'), [SNAP]),
    preserveTarget: async () => (log('preserveTarget'), { existed: true, detail: 'kept aside' }),
    putBackTarget: async () => (log('putBackTarget'), { detail: 'put back' }),
    discardPreserved: async () => log('discardPreserved'),
    cleanDrill: async () => (log('cleanDrill'), { detail: 'clean' }),
    verifySide: async (i: { side: string }) => (log(`verifySide ${i.side}`), health),
    switchTraffic: async (i: { to: 'primary' | 'standby' }) => {
      log(`switchTraffic ${i.to}`);
      return { side: i.to, previous: 'primary' as const, changed: true, at: new Date().toISOString(), durationMs: 1, detail: 'mock', attempt: 1 };
    },
    checkTraffic: async () => (log('checkTraffic'), health),
    writeReport: async (i: { report: FailoverReport }) => (reports.push(i.report), { key: `reports/failover/${i.report.id}.json` }),
    planRestore: async (i: { restoreId: string; target: string }) => {
      log('planRestore');
      return {
        restoreId: i.restoreId,
        snapshotId: SNAP.id,
        snapshotTime: SNAP.time,
        asset: 'model',
        target: i.target,
        staging: `${i.target}.staging`,
        batches: 1,
        files: 1,
        bytes: 10,
      };
    },
    restoreBatch: async () => (log('restoreBatch'), { completed: '', itemsDone: 1, bytesDone: 10 }),
    finishRestore: async () => (log('finishRestore'), { target: '/srv/s/model', files: 1, bytes: 10 }),
    cleanupRestore: async () => log('cleanupRestore'),
    abortRestore: async () => log('abortRestore'),
  };
  return { activities, calls, reports };
}

async function withWorker<T>(activities: object, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `mocked-${process.pid}-${++queue}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    workflowBundle: { codePath: BUNDLE },
    activities,
  });
  return worker.runUntil(fn(taskQueue));
}

function failoverOf(taskQueue: string, site: string) {
  return env.client.workflow.execute(workflowRef('failoverWorkflow'), {
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
  const m = mocks(brief(`comp${process.pid}`, { required: false, timeoutMs: 60_000, onTimeout: 'abort' }), 'checkTraffic');
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
  const m = mocks(brief(`abort${process.pid}`, { required: true, timeoutMs: 1000, onTimeout: 'abort' }));
  const f = await withWorker(m.activities, (q) => failure(failoverOf(q, `abort${process.pid}`)));
  assert.equal(f.type, FailureType.FailoverAborted);
  assert.equal(f.report.outcome, 'aborted');
  assert.match(f.report.steps.find((s) => s.name === 'approval')?.error ?? '', /no decision within 1\.00s: aborted/);
  assert.ok(!m.calls.some((c) => c.startsWith('switchTraffic') || c === 'sideAction primary fence'), m.calls.join(', '));
  assert.ok(m.calls.includes('putBackTarget'), 'the standby gets its previous data back');
});

test('an approval that times out with onTimeout "proceed" fences after the gate, then switches', async () => {
  const m = mocks(brief(`proceed${process.pid}`, { required: true, timeoutMs: 1000, onTimeout: 'proceed' }));
  const report = await withWorker(m.activities, (q) => failoverOf(q, `proceed${process.pid}`));
  assert.equal(report.outcome, 'succeeded');
  assert.ok(m.calls.indexOf('verifySide standby') < m.calls.indexOf('sideAction primary fence'), m.calls.join(', '));
  assert.ok(m.calls.indexOf('sideAction primary fence') < m.calls.indexOf('switchTraffic standby'), m.calls.join(', '));
  assert.ok(!m.calls.includes('putBackTarget'));
});

test('duplicate triggers of a site join the one running failover', async () => {
  const site = `dup${process.pid}`;
  const m = mocks(brief(site, { required: true, timeoutMs: 600_000, onTimeout: 'abort' }));
  await withWorker(m.activities, async (taskQueue) => {
    const input = { site, mode: 'planned' as const, source: 'test' };
    const [a, b] = await Promise.all([triggerFailover(env.client, taskQueue, input), triggerFailover(env.client, taskQueue, input)]);
    assert.equal(a.workflowId, b.workflowId);
    assert.equal(a.runId, b.runId);
    assert.deepEqual([a.joined, b.joined].sort(), [false, true]);
    const c = await triggerFailover(env.client, taskQueue, input);
    assert.equal(c.joined, true);
    assert.equal(c.runId, a.runId);
    await a.handle.executeUpdate(rejectUpdate, { args: [{ operator: 'test', comment: 'duplicate trigger test' }] });
    const f = await failure(a.handle.result());
    assert.equal(f.report.outcome, 'aborted');
  });
  assert.equal(m.calls.filter((c) => c === 'openIncident').length, 1, 'one run, one incident');
});
