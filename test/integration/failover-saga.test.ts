import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { triggerFailover } from '../../src/cli/failover-trigger';
import type { FailoverReport } from '../../src/common/failover-report';
import { failoverStatusQuery, rejectUpdate } from '../../src/contracts/failover-messages';
import {
  backupDemo,
  extendPlan,
  modelStatus,
  outcomeOf,
  resetDemo,
  runFailback,
  runFailover,
  siblings,
  startDemo,
  text,
  waitFor,
  type DemoSite,
} from '../helpers/failover-demo';
import { startLoad } from '../helpers/load';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * Planned failover under load, failback, a fault injected at every step, fence-first and
 * unplanned variants, duplicate triggers: real Temporal, SeaweedFS, nginx and model servers.
 */
let stack: TestStack;
let demo: DemoSite;

before(async () => {
  stack = await startStack();
  const d = await startDemo(stack, { name: 'demo' });
  extendPlan(
    stack,
    [{ name: 'model', source: d.primaryDir }],
    [
      d.config(),
      // same servers, default order: the primary is fenced first
      d.config({ name: 'demo-strict', fencing: { at: 'start' } }),
      // a primary whose fence endpoint is unreachable (it is "down")
      d.config({
        name: 'demo-down',
        primary: { ...(d.config().primary as object), fence: { type: 'http', url: 'http://127.0.0.1:9/admin/fence', timeoutMs: 500 } },
      }),
    ],
  );
  stack.env.LEPTON_DR_ALLOW_FAULT_INJECTION = '1';
  stack.startWorker();
  demo = { ...d, snapshotId: await backupDemo(stack, d) };
});
after(async () => {
  await demo?.stop();
  await stack?.stop();
});

const stepNames = (r: FailoverReport) => r.steps.map((s) => `${s.name}:${s.status}`);

/** Traffic on the primary (served by it, its model), primary unfenced, standby back on v0 with nothing left behind. */
async function assertRolledBack(label: string): Promise<void> {
  const t = await text(`${demo.nginx.url}/health`);
  assert.equal(t.by, 'primary', `${label}: traffic on the primary`);
  assert.equal(t.body, demo.sha.v2, `${label}: the primary serves its own model`);
  assert.equal((await modelStatus(demo.primary)).fenced, false, `${label}: primary unfenced`);
  assert.deepEqual(siblings(demo.standbyDir), ['model'], `${label}: no staging, old or kept-aside folders next to the standby's model`);
  assert.deepEqual(fs.readdirSync(demo.standbyDir), ['model.json'], `${label}: the standby's folder holds its previous content`);
  assert.equal((await text(`${demo.standby.url}/health`)).body, demo.sha.v0, `${label}: the standby serves its previous model again`);
  const stateFile = `${demo.nginx.paths.upstream}.state.json`;
  if (fs.existsSync(stateFile)) assert.equal((JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { side: string }).side, 'primary', `${label}: switcher state`);
}

test(
  'planned failover under steady load: traffic ends on the standby serving the snapshot, no failed request; failback restores the primary',
  { timeout: 120_000 },
  async () => {
    await resetDemo(demo);
    const load = startLoad(`${demo.nginx.url}/predict?x=1,2,3`, { lanes: 4, maxMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const out = await runFailover(stack, { site: 'demo', mode: 'planned', reason: 'test: planned', source: 'test', skipApproval: true });
    const ms = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    const stats = await load.stop();
    assert.ok(out.ok, out.error);
    const r = out.report;
    assert.equal(r.outcome, 'succeeded');
    assert.deepEqual(stepNames(r), [
      'open-incident:ok',
      'select-snapshot:ok',
      'restore:ok',
      'verify:ok',
      'approval:skipped',
      'switch:ok',
      'validate:ok',
      'fence:ok',
      'report:ok',
    ]);
    assert.equal(r.snapshot?.id, demo.snapshotId);
    assert.ok(r.rtoMs !== null && r.rtoMs > 0 && r.rtoMs < 30_000, `RTO ${r.rtoMs}`);
    assert.ok(r.rpoMs !== null && r.rpoMs >= 0);
    assert.deepEqual(r.met, { rto: true, rpo: true });
    const t = await text(`${demo.nginx.url}/health`);
    assert.equal(t.by, 'standby');
    assert.equal(t.body, demo.sha.v1, "traffic is served by the standby with the snapshot's model");
    assert.equal((await modelStatus(demo.primary)).fenced, true, 'the primary is fenced');
    assert.deepEqual(siblings(demo.standbyDir), ['model'], 'the kept-aside copy is gone after success');
    assert.equal(stats.failed, 0, `failed requests: ${JSON.stringify(stats)}`);
    assert.ok((stats.servedBy.primary ?? 0) > 0 && (stats.servedBy.standby ?? 0) > 0, JSON.stringify(stats.servedBy));
    console.log(`planned failover: ${ms} ms wall, RTO ${r.rtoMs} ms, ${stats.requests} requests, ${stats.failed} failed, ${stats.retried} keep-alive retries`);

    // the stored report is the same
    const stored = (await stack.client.workflow.execute('failoverReportWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: 'report-1',
      args: [{ id: r.id }],
    })) as FailoverReport;
    assert.equal(stored.outcome, 'succeeded');
    assert.equal(stored.rtoMs, r.rtoMs);

    // a second failover while traffic is on the standby is refused
    const again = await runFailover(stack, { site: 'demo', mode: 'planned', skipApproval: true, source: 'test' });
    assert.equal(again.ok, false);
    assert.match(again.error ?? '', /already on the standby/);

    // failback: back up the standby, restore onto the primary, unfence, verify, switch back
    const fb = await runFailback(stack, { site: 'demo', skipApproval: true, source: 'test', reason: 'primary repaired' });
    assert.ok(fb.ok, fb.error);
    assert.deepEqual(stepNames(fb.report), [
      'open-incident:ok',
      'backup-standby:ok',
      'select-snapshot:skipped',
      'restore:ok',
      'unfence:ok',
      'verify:ok',
      'approval:skipped',
      'fence-standby:skipped',
      'final-sync:ok',
      'switch:ok',
      'validate:ok',
      'report:ok',
    ]);
    const back = await text(`${demo.nginx.url}/health`);
    assert.equal(back.by, 'primary');
    assert.equal(back.body, demo.sha.v1, "the primary now holds the standby's data");
    assert.equal((await modelStatus(demo.primary)).fenced, false);
    assert.deepEqual(siblings(demo.primaryDir), ['model']);
  },
);

test(
  'a fault at each step in turn: traffic back on the primary, primary unfenced, standby without leftovers, report names the failure and what was undone',
  { timeout: 300_000 },
  async () => {
    const expectedUndos: Record<string, string[]> = {
      'open-incident': [],
      'select-snapshot': [],
      restore: ["put back the standby's previous model", 'reload the standby with its previous data'],
      verify: ["put back the standby's previous model", 'reload the standby with its previous data'],
      approval: ["put back the standby's previous model", 'reload the standby with its previous data'],
      switch: ['switch traffic back to the primary', "put back the standby's previous model", 'reload the standby with its previous data'],
      validate: ['switch traffic back to the primary', "put back the standby's previous model", 'reload the standby with its previous data'],
      fence: [
        'unfence the primary',
        'switch traffic back to the primary',
        "put back the standby's previous model",
        'reload the standby with its previous data',
      ],
      report: [
        'unfence the primary',
        'switch traffic back to the primary',
        "put back the standby's previous model",
        'reload the standby with its previous data',
      ],
    };
    for (const [step, undos] of Object.entries(expectedUndos)) {
      await resetDemo(demo);
      const out = await runFailover(stack, {
        site: 'demo',
        mode: 'planned',
        skipApproval: true,
        source: 'test',
        faultInjection: { failAt: step as 'restore' },
      });
      assert.equal(out.ok, false, step);
      const r = out.report;
      assert.equal(r.outcome, 'compensated', `${step}: ${out.error}`);
      const failed = r.steps.filter((s) => s.status === 'failed');
      assert.deepEqual(
        failed.map((s) => s.name),
        [step],
        `${step}: ${stepNames(r).join(' ')}`,
      );
      assert.match(failed[0].error ?? '', new RegExp(`injected fault at step "${step}"`));
      assert.deepEqual(
        r.compensations.map((c) => `${c.name}:${c.status}`),
        undos.map((u) => `${u}:ok`),
        step,
      );
      assert.match(out.error ?? '', new RegExp(`compensated at ${step}`));
      await assertRolledBack(step);
      const stored = (await stack.client.workflow.execute('failoverReportWorkflow', {
        taskQueue: stack.taskQueue,
        workflowId: `report-${step}`,
        args: [{ id: r.id }],
      })) as FailoverReport;
      assert.equal(stored.outcome, 'compensated', `${step}: stored report`);
      assert.equal(stored.compensations.length, undos.length);
    }
  },
);

test('fence-first order (default): the primary is fenced second and unfenced by the compensation', { timeout: 60_000 }, async () => {
  await resetDemo(demo);
  const out = await runFailover(stack, { site: 'demo-strict', mode: 'planned', skipApproval: true, source: 'test', faultInjection: { failAt: 'restore' } });
  assert.equal(out.report.outcome, 'compensated');
  assert.deepEqual(stepNames(out.report).slice(0, 3), ['open-incident:ok', 'fence:ok', 'select-snapshot:ok']);
  assert.deepEqual(
    out.report.compensations.map((c) => c.name),
    ["put back the standby's previous model", 'reload the standby with its previous data', 'unfence the primary'],
  );
  await assertRolledBack('fence-first');
});

test('unplanned failover with an unreachable primary: fencing is best effort, the failover completes', { timeout: 60_000 }, async () => {
  await resetDemo(demo);
  const out = await runFailover(stack, {
    site: 'demo-down',
    mode: 'unplanned',
    skipApproval: true,
    source: 'alertmanager',
    reason: 'primary down',
    occurredAt: new Date(Date.now() - 5000).toISOString(),
  });
  assert.ok(out.ok, out.error);
  const fence = out.report.steps.find((s) => s.name === 'fence')!;
  assert.equal(fence.status, 'skipped');
  assert.match(fence.detail ?? '', /best effort/);
  assert.ok(out.report.rtoMs! >= 5000, 'RTO counts from occurredAt');
  assert.equal((await text(`${demo.nginx.url}/health`)).by, 'standby');
});

test('duplicate triggers start one failover; status query; a rejection aborts it', { timeout: 60_000 }, async () => {
  await resetDemo(demo);
  const input = { site: 'demo', mode: 'planned' as const, source: 'test', reason: 'duplicates' };
  const triggers = await Promise.all([1, 2, 3].map(() => triggerFailover(stack.client, stack.taskQueue, input)));
  assert.equal(new Set(triggers.map((t) => t.runId)).size, 1, 'one run');
  assert.equal(triggers.filter((t) => !t.joined).length, 1, 'exactly one trigger started it, the others joined');
  const h = triggers[0].handle;
  const st = await waitFor('the approval gate', async () => {
    const s = await h.query(failoverStatusQuery);
    return s.approval.phase === 'waiting' ? s : undefined;
  });
  assert.equal(st.step, 'approval');
  assert.deepEqual(
    st.report.steps.map((s) => s.name),
    ['open-incident', 'select-snapshot', 'restore', 'verify', 'approval'],
  );
  // a trigger while it waits joins too
  const late = await triggerFailover(stack.client, stack.taskQueue, { ...input, mode: 'unplanned' });
  assert.equal(late.joined, true);
  assert.equal(late.runId, triggers[0].runId);
  const runs: string[] = [];
  for await (const w of stack.client.workflow.list({ query: `WorkflowId = 'failover-demo' AND ExecutionStatus = 'Running'` })) runs.push(w.runId);
  assert.deepEqual(runs, [triggers[0].runId]);
  await h.executeUpdate(rejectUpdate, { args: [{ operator: 'alice', comment: 'not now' }] });
  const out = await outcomeOf(h);
  assert.equal(out.report.outcome, 'aborted');
  assert.match(out.error ?? '', /rejected by alice: not now/);
  await assertRolledBack('rejected');
  assert.ok(fs.existsSync(path.join(demo.standbyDir, 'model.json')));
});
