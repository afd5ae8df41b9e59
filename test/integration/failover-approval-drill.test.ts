import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { triggerFailover } from '../../src/cli/failover-trigger';
import type { FailoverReport } from '../../src/common/failover-report';
import type { SiteReadiness } from '../../src/contracts/failover-types';
import { approveUpdate, failoverStatusQuery, rejectUpdate } from '../../src/contracts/failover-messages';
import {
  backupDemo,
  extendPlan,
  modelStatus,
  outcomeOf,
  resetDemo,
  runFailover,
  siblings,
  startDemo,
  text,
  waitFor,
  type DemoSite,
} from '../helpers/failover-demo';
import { failureText } from '../helpers/failure-text';
import { startLoad } from '../helpers/load';
import { CLI_JS, startStack, type TestStack } from '../helpers/stack';

/** Approval gate (approve, reject, timeout with each policy, invalid updates) and drills (success, failure, cancel), plus the CLI. */
let stack: TestStack;
let demo: DemoSite;

before(async () => {
  stack = await startStack();
  const d = await startDemo(stack, { name: 'demo' });
  extendPlan(
    stack,
    [{ name: 'model', source: d.primaryDir }],
    [
      d.config({ drill: { targetDir: d.drillDir, schedule: { every: '24h' } } }),
      // a drill whose check never passes: it waits in "verify" until cancelled
      d.config({
        name: 'demo-stuck',
        drill: { targetDir: d.drillDir, health: [{ name: 'never', url: 'http://127.0.0.1:9/health', timeoutMs: 200, withinMs: 60_000, intervalMs: 100 }] },
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

async function atGate(h: WorkflowHandle): Promise<void> {
  await waitFor('the approval gate', async () => ((await h.query(failoverStatusQuery)).approval.phase === 'waiting' ? true : undefined));
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WorkflowUpdateFailedError, `expected an update refusal, got ${String(e)}`);
    return failureText(e);
  }
  assert.fail('expected the update to be refused');
}

test('approve: invalid updates are refused by the validator, a valid one lets the switch run', { timeout: 60_000 }, async () => {
  await resetDemo(demo);
  const t = await triggerFailover(stack.client, stack.taskQueue, { site: 'demo', mode: 'planned', source: 'test' });
  const h = t.handle;
  await atGate(h);
  assert.match(await refusal(h.executeUpdate(approveUpdate, { args: [{ operator: '' }] })), /operator: must not be empty/);
  assert.match(await refusal(h.executeUpdate(approveUpdate, { args: [{ comment: 'who?' } as never] })), /operator: is required/);
  assert.match(
    await refusal(h.executeUpdate(approveUpdate, { args: [{ operator: 'bob', role: 'admin' } as never] })),
    /Unrecognized key\(s\) in object: 'role'/,
  );
  assert.equal((await h.query(failoverStatusQuery)).approval.phase, 'waiting', 'refused updates change nothing');
  const approvedAt = Date.now();
  const state = await h.executeUpdate(approveUpdate, { args: [{ operator: 'bob', comment: 'go' }] });
  assert.equal(state.phase, 'approved');
  assert.match(await refusal(h.executeUpdate(rejectUpdate, { args: [{ operator: 'eve' }] })), /already approved by bob/);
  const out = await outcomeOf(h);
  assert.ok(out.ok, out.error);
  const r = out.report;
  const approval = r.steps.find((s) => s.name === 'approval')!;
  assert.equal(approval.detail, 'approved by bob: go');
  const sw = r.steps.find((s) => s.name === 'switch')!;
  const switchAfterApprovalMs = Date.parse(sw.endedAt!) - approvedAt;
  const trafficAfterApprovalMs = Date.parse(r.healthyAt!) - approvedAt;
  console.log(`after approval: switch done in ${switchAfterApprovalMs} ms, traffic healthy on the standby in ${trafficAfterApprovalMs} ms`);
  assert.ok(switchAfterApprovalMs < 1000, `switch ${switchAfterApprovalMs} ms after approval`);
  assert.equal((await text(`${demo.nginx.url}/health`)).by, 'standby');
  const hist = await h.fetchHistory();
  const accepted = (hist.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
  assert.equal(accepted, 1, 'refused updates leave no trace in the history');
});

test('reject: the run aborts and compensates', { timeout: 60_000 }, async () => {
  await resetDemo(demo);
  const t = await triggerFailover(stack.client, stack.taskQueue, { site: 'demo', mode: 'planned', source: 'test' });
  await atGate(t.handle);
  await t.handle.executeUpdate(rejectUpdate, { args: [{ operator: 'carol', comment: 'standby too old' }] });
  const out = await outcomeOf(t.handle);
  assert.equal(out.report.outcome, 'aborted');
  assert.equal(out.report.steps.find((s) => s.name === 'approval')?.error, 'rejected by carol: standby too old');
  assert.equal((await text(`${demo.nginx.url}/health`)).by, 'primary');
  assert.deepEqual(siblings(demo.standbyDir), ['model']);
  assert.equal((await text(`${demo.standby.url}/health`)).body, demo.sha.v0);
});

test('approval timeout: policy abort compensates, policy proceed switches', { timeout: 60_000 }, async () => {
  await resetDemo(demo);
  const aborted = await runFailover(stack, { site: 'demo', mode: 'planned', source: 'test', approval: { timeout: '1s', onTimeout: 'abort' } });
  assert.equal(aborted.report.outcome, 'aborted');
  assert.match(aborted.report.steps.find((s) => s.name === 'approval')?.error ?? '', /no decision within 1\.00s: aborted/);
  assert.equal((await text(`${demo.nginx.url}/health`)).by, 'primary');
  assert.equal((await modelStatus(demo.primary)).fenced, false);

  const proceeded = await runFailover(stack, { site: 'demo', mode: 'planned', source: 'test', approval: { timeout: '1s', onTimeout: 'proceed' } });
  assert.ok(proceeded.ok, proceeded.error);
  assert.match(proceeded.report.steps.find((s) => s.name === 'approval')?.detail ?? '', /proceeding/);
  assert.equal((await text(`${demo.nginx.url}/health`)).by, 'standby');
});

test('drill: never touches the traffic path, verifies the restored copy, cleans up', { timeout: 60_000 }, async () => {
  await resetDemo(demo);
  const upstream = fs.readFileSync(demo.nginx.paths.upstream, 'utf8');
  const mtime = fs.statSync(demo.nginx.paths.upstream).mtimeMs;
  const load = startLoad(`${demo.nginx.url}/predict?x=1`, { lanes: 2, maxMs: 30_000 });
  const out = await runFailover(stack, { site: 'demo', mode: 'drill', source: 'test', reason: 'monthly drill' });
  const stats = await load.stop();
  assert.ok(out.ok, out.error);
  const r = out.report;
  assert.deepEqual(
    r.steps.map((s) => `${s.name}:${s.status}`),
    [
      'open-incident:ok',
      'fence:skipped',
      'select-snapshot:ok',
      'restore:ok',
      'verify:ok',
      'approval:skipped',
      'switch:skipped',
      'validate:skipped',
      'cleanup:ok',
      'report:ok',
    ],
  );
  assert.match(r.steps.find((s) => s.name === 'verify')!.detail ?? '', /files match the snapshot: model\/model\.json/);
  assert.ok(r.rtoMs !== null && r.rpoMs !== null);
  assert.equal(fs.readFileSync(demo.nginx.paths.upstream, 'utf8'), upstream);
  assert.equal(fs.statSync(demo.nginx.paths.upstream).mtimeMs, mtime, 'the upstream file was not rewritten');
  assert.deepEqual(Object.keys(stats.servedBy), ['primary'], 'all traffic stayed on the primary');
  assert.equal(stats.failed, 0);
  assert.equal((await modelStatus(demo.primary)).fenced, false);
  assert.equal((await text(`${demo.standby.url}/health`)).body, demo.sha.v0, 'the standby is untouched');
  assert.equal(fs.existsSync(demo.drillDir), false, 'the drill copy is gone');
});

test('drill: a failure and a cancellation both clean up', { timeout: 60_000 }, async () => {
  await resetDemo(demo);
  const failed = await runFailover(stack, { site: 'demo', mode: 'drill', source: 'test', faultInjection: { failAt: 'verify' } });
  assert.equal(failed.report.outcome, 'compensated');
  assert.deepEqual(
    failed.report.compensations.map((c) => `${c.name}:${c.status}`),
    ['remove the drill copy of model:ok'],
  );
  assert.equal(fs.existsSync(demo.drillDir), false);

  const t = await triggerFailover(stack.client, stack.taskQueue, { site: 'demo-stuck', mode: 'drill', source: 'test' });
  await waitFor('the drill to verify', async () => ((await t.handle.query(failoverStatusQuery)).step === 'verify' ? true : undefined));
  assert.ok(fs.existsSync(demo.drillDir), 'the drill copy exists while verifying');
  await t.handle.cancel();
  await assert.rejects(t.handle.result(), (e: Error) => /cancel/i.test(failureText(e)));
  assert.equal((await t.handle.describe()).status.name, 'CANCELLED');
  assert.equal(fs.existsSync(demo.drillDir), false, 'cancelled drill cleaned up');
  const s = await t.handle.query(failoverStatusQuery);
  assert.equal(s.report.outcome, 'aborted');
  assert.deepEqual(
    s.report.compensations.map((c) => c.status),
    ['ok'],
  );
  assert.equal(fs.readFileSync(demo.nginx.paths.upstream, 'utf8').includes(`${demo.primary.port}`), true);
});

test('CLI: drill, report, status, schedules apply', { timeout: 90_000 }, async () => {
  await resetDemo(demo);
  const cli = (...args: string[]) => promisify(execFile)(process.execPath, [CLI_JS, ...args], { env: stack.env, timeout: 60_000 });
  const drill = JSON.parse((await cli('--json', 'failover', 'start', '--site', 'demo', '--mode', 'drill', '--reason', 'cli drill')).stdout) as {
    ok: boolean;
    report: FailoverReport;
  };
  assert.equal(drill.ok, true);
  const shown = (await cli('failover', 'report', drill.report.id!)).stdout;
  assert.match(shown, /drill demo: succeeded/);
  assert.match(shown, /cleanup\s+ok/);
  const last = JSON.parse((await cli('--json', 'failover', 'report', '--site', 'demo', '--mode', 'drill', '--successful')).stdout) as FailoverReport;
  assert.equal(last.id, drill.report.id);
  const status = JSON.parse((await cli('--json', 'status')).stdout) as (SiteReadiness & { running: string | null })[];
  const demoStatus = status.find((s) => s.site === 'demo')!;
  assert.equal(demoStatus.lastSuccessfulDrill?.id, drill.report.id);
  assert.equal(demoStatus.snapshots[0].id, demo.snapshotId);
  assert.equal(demoStatus.drillSchedule, 'every 24h');
  const text = (await cli('status')).stdout;
  assert.match(text, /demo: READY/);
  const applied = JSON.parse((await cli('--json', 'schedules', 'apply')).stdout) as { created: string[] };
  assert.ok(applied.created.includes('lepton-drill-demo'), JSON.stringify(applied));
  const bad = await cli('failover', 'approve', '--site', 'demo', '--operator', 'x').catch((e: { stderr: string; code: number }) => e);
  assert.match((bad as { stderr: string }).stderr, /lepton-dr: /);
});

test('refusals: unknown site, a workflow id other than failover-<site>, invalid input', { timeout: 60_000 }, async () => {
  const run = (id: string, input: unknown) =>
    stack.client.workflow.execute('failoverWorkflow', { taskQueue: stack.taskQueue, workflowId: id, args: [input] }).catch((e: Error) => failureText(e));
  assert.match(String(await run('failover-nope', { site: 'nope' })), /site: no site named "nope" in the plan \(sites: demo, demo-stuck\)/);
  assert.match(String(await run('my-own-id', { site: 'demo' })), /workflow id: a failover of site demo must run with workflow id "failover-demo"/);
  assert.match(
    String(await run('failover-demo', { site: 'demo', mode: 'sideways' })),
    /invalid failover input: mode: must be 'planned', 'unplanned' or 'drill'/,
  );
  assert.match(
    String(await run('drill-demo', { site: 'demo', mode: 'drill', faultInjection: { failAt: 'restore' }, colour: 1 })),
    /Unrecognized key\(s\) in object: 'colour'/,
  );
});
