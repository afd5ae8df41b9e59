import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { triggerFailback, triggerFailover } from '../../src/cli/failover-trigger';
import type { FailoverReport } from '../../src/common/failover-report';
import { approveUpdate, failoverStatusQuery, rejectUpdate } from '../../src/contracts/failover-messages';
import { backupDemo, extendPlan, outcomeOf, resetDemo, runFailback, runFailover, startDemo, waitFor, type DemoSite } from '../helpers/failover-demo';
import { callLog, startBlindLb, type BlindLb, type CallLog } from '../helpers/recorders';
import { failureText } from '../helpers/failure-text';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * Safety boundaries of the failover saga on the real Temporal dev server: with approval required
 * nothing touches production before the gate; a repeated failover never restores over the live
 * standby when the switcher cannot tell the side; failback fences the standby's writers and
 * carries their last writes over before switching back.
 */
let stack: TestStack;
let demo: DemoSite;
let lb: BlindLb;
let rec: CallLog;

before(async () => {
  stack = await startStack();
  const d = await startDemo(stack, { name: 'demo' });
  lb = await startBlindLb();
  rec = callLog(path.join(stack.dir, 'calls.log'));
  const base = d.config();
  const primary = base.primary as Record<string, unknown>;
  const standby = base.standby as Record<string, unknown>;
  const { fence: _f, unfence: _u, ...primaryWithoutFence } = primary;
  extendPlan(
    stack,
    [{ name: 'model', source: d.primaryDir }],
    [
      // fence-first site, approval required (the helper's default)
      d.config({ name: 'gate', fencing: { at: 'start' }, primary: { ...primary, fence: rec.action('fence-primary'), unfence: rec.action('unfence-primary') } }),
      // an HTTP switcher without a status endpoint: current() is "unknown"
      d.config({
        name: 'blind',
        primary: primaryWithoutFence,
        trafficChecks: [],
        switcher: { type: 'http', url: `${lb.url}/lb`, method: 'PUT', body: '{"side": "{{side}}"}', timeoutMs: 2000 },
      }),
      d.config({ name: 'fb', standby: { ...standby, fence: rec.action('fence-standby'), unfence: rec.action('unfence-standby') } }),
      // a drill whose check never passes: it waits in "verify" until cancelled
      d.config({
        name: 'stuck',
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
  await lb?.close();
  await stack?.stop();
});

const stepNames = (r: FailoverReport) => r.steps.map((s) => `${s.name}:${s.status}`);

async function atGate(h: WorkflowHandle): Promise<string[]> {
  return waitFor('the approval gate', async () => {
    const s = await h.query(failoverStatusQuery);
    return s.approval.phase === 'waiting' ? s.report.steps.map((x) => `${x.name}:${x.status}`) : undefined;
  });
}

async function reset(): Promise<void> {
  await resetDemo(demo);
  rec.clear();
  for (const f of ['late.txt']) fs.rmSync(path.join(demo.primaryDir, f), { force: true });
}

test(
  'approval required: the run waits at the gate with the standby restored and verified and the primary never fenced; approval fences, then switches',
  { timeout: 60_000 },
  async () => {
    await reset();
    const t = await triggerFailover(stack.client, stack.taskQueue, { site: 'gate', mode: 'planned', source: 'prediction', reason: 'risk 0.93' });
    const atTheGate = await atGate(t.handle);
    assert.deepEqual(atTheGate, ['open-incident:ok', 'select-snapshot:ok', 'restore:ok', 'verify:ok', 'approval:running']);
    assert.deepEqual(rec.calls(), [], 'no fence action ran before approval');
    await t.handle.executeUpdate(approveUpdate, { args: [{ operator: 'bob' }] });
    const out = await outcomeOf(t.handle);
    assert.ok(out.ok, out.error);
    assert.deepEqual(stepNames(out.report), [
      'open-incident:ok',
      'select-snapshot:ok',
      'restore:ok',
      'verify:ok',
      'approval:ok',
      'fence:ok',
      'switch:ok',
      'validate:ok',
      'report:ok',
    ]);
    assert.deepEqual(rec.calls(), ['fence-primary']);
  },
);

test('approval required, rejected: production is never fenced (nor unfenced)', { timeout: 60_000 }, async () => {
  await reset();
  const t = await triggerFailover(stack.client, stack.taskQueue, { site: 'gate', mode: 'unplanned', source: 'alertmanager' });
  await atGate(t.handle);
  await t.handle.executeUpdate(rejectUpdate, { args: [{ operator: 'carol', comment: 'false positive' }] });
  const out = await outcomeOf(t.handle);
  assert.equal(out.report.outcome, 'aborted');
  assert.equal(
    out.report.steps.some((s) => s.name === 'fence'),
    false,
    stepNames(out.report).join(' '),
  );
  assert.deepEqual(rec.calls(), []);
});

test('a repeated failover with a switcher that cannot read the side back is refused: the live standby is not restored over', { timeout: 90_000 }, async () => {
  await reset();
  const first = await runFailover(stack, { site: 'blind', mode: 'planned', skipApproval: true, source: 'test' });
  assert.ok(first.ok, first.error);
  assert.deepEqual(lb.switches, ['standby']);
  // the standby is live now and takes writes
  const live = path.join(demo.standbyDir, 'written-while-live.txt');
  fs.writeFileSync(live, 'precious\n');
  const before = fs.readdirSync(demo.standbyDir).sort();

  const again = await runFailover(stack, { site: 'blind', mode: 'unplanned', skipApproval: true, source: 'alertmanager' });
  assert.equal(again.ok, false);
  assert.match(again.error ?? '', /traffic is already on the standby/);
  assert.deepEqual(stepNames(again.report), ['open-incident:failed']);
  assert.deepEqual(fs.readdirSync(demo.standbyDir).sort(), before);
  assert.deepEqual(fs.readdirSync(path.dirname(demo.standbyDir)), ['model'], 'nothing moved aside');
  assert.deepEqual(lb.switches, ['standby']);

  // failback is allowed (the record says standby), and afterwards a failback is refused
  const fb = await runFailback(stack, { site: 'blind', skipApproval: true, source: 'test', from: 'snapshot' });
  assert.ok(fb.ok, fb.error);
  assert.deepEqual(lb.switches, ['standby', 'primary']);
  const fb2 = await runFailback(stack, { site: 'blind', skipApproval: true, source: 'test', from: 'snapshot' });
  assert.match(fb2.error ?? '', /traffic is already on the primary/);
});

test('failback fences the standby after approval and carries its last writes over to the primary before switching back', { timeout: 120_000 }, async () => {
  await reset();
  const fo = await runFailover(stack, { site: 'fb', mode: 'planned', skipApproval: true, source: 'test' });
  assert.ok(fo.ok, fo.error);
  const t = await triggerFailback(stack.client, stack.taskQueue, { site: 'fb', source: 'test', reason: 'primary repaired' });
  const atTheGate = await atGate(t.handle);
  assert.deepEqual(atTheGate, [
    'open-incident:ok',
    'backup-standby:ok',
    'select-snapshot:skipped',
    'restore:ok',
    'unfence:ok',
    'verify:ok',
    'approval:running',
  ]);
  assert.deepEqual(rec.calls(), [], 'the live standby is not fenced before approval');
  // a writer on the live standby, after its first backup
  fs.writeFileSync(path.join(demo.standbyDir, 'late.txt'), 'written after the first backup\n');
  await t.handle.executeUpdate(approveUpdate, { args: [{ operator: 'bob' }] });
  const out = await outcomeOf(t.handle);
  assert.ok(out.ok, out.error);
  assert.deepEqual(stepNames(out.report), [
    'open-incident:ok',
    'backup-standby:ok',
    'select-snapshot:skipped',
    'restore:ok',
    'unfence:ok',
    'verify:ok',
    'approval:ok',
    'fence-standby:ok',
    'final-sync:ok',
    'switch:ok',
    'validate:ok',
    'report:ok',
  ]);
  assert.deepEqual(rec.calls(), ['fence-standby']);
  assert.equal(fs.readFileSync(path.join(demo.primaryDir, 'late.txt'), 'utf8'), 'written after the first backup\n', 'the late write reached the primary');
});

test(
  'a failback failing after the standby was fenced unfences it again and puts the primary back (compensations registered before each action)',
  { timeout: 120_000 },
  async () => {
    await reset();
    const fo = await runFailover(stack, { site: 'fb', mode: 'planned', skipApproval: true, source: 'test' });
    assert.ok(fo.ok, fo.error);
    rec.clear();
    const before = fs.readFileSync(path.join(demo.primaryDir, 'model.json'), 'utf8');
    const fb = await runFailback(stack, { site: 'fb', skipApproval: true, source: 'test', faultInjection: { failAt: 'final-sync' } });
    assert.equal(fb.report.outcome, 'compensated', fb.error);
    assert.deepEqual(
      fb.report.compensations.map((c) => `${c.name}:${c.status}`),
      [
        "put back the primary's previous model (final sync):ok",
        'unfence the standby:ok',
        'fence the primary again:ok',
        "put back the primary's previous model:ok",
        'reload the primary with its previous data:ok',
      ],
    );
    assert.deepEqual(rec.calls(), ['fence-standby', 'unfence-standby']);
    assert.equal(fs.readFileSync(path.join(demo.primaryDir, 'model.json'), 'utf8'), before, "the primary's previous data is back");
    assert.deepEqual(fs.readdirSync(path.dirname(demo.primaryDir)), ['model'], 'no restore leftovers next to the primary');
  },
);

test(
  'one drill per site at a time: a scheduled drill (drill-<site>-<time>) is refused while a CLI drill of the site runs, and runs under drill-<site> otherwise',
  { timeout: 90_000 },
  async () => {
    await reset();
    const cli = await triggerFailover(stack.client, stack.taskQueue, { site: 'stuck', mode: 'drill', source: 'cli' });
    await waitFor('the drill to verify', async () => ((await cli.handle.query(failoverStatusQuery)).step === 'verify' ? true : undefined));
    const scheduled = stack.client.workflow.execute('failoverWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: 'drill-stuck-2026-12-01T03:00:00Z',
      args: [{ site: 'stuck', mode: 'drill', source: 'schedule' }],
    });
    await assert.rejects(scheduled, (e: Error) => /a drill of site stuck is already running \(drill-stuck\)/.test(failureText(e)));
    await cli.handle.cancel();
    await assert.rejects(cli.handle.result());

    const alone = (await stack.client.workflow.execute('failoverWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: 'drill-gate-2026-12-01T03:00:00Z',
      args: [{ site: 'gate', mode: 'drill', source: 'schedule' }],
    })) as FailoverReport;
    assert.equal(alone.outcome, 'succeeded');
    assert.equal(alone.workflowId, 'drill-gate', 'the drill ran under the site drill id');
  },
);

test('allowed roots: a UI start with a source or target the plan does not allow fails at once, naming the field', { timeout: 60_000 }, async () => {
  const start = (type: string, input: unknown, id: string) =>
    stack.client.workflow.execute(type, { taskQueue: stack.taskQueue, workflowId: id, args: [input] }).then(
      () => 'ran',
      (e: Error) => failureText(e),
    );
  assert.match(
    await start('backupWorkflow', { asset: 'loot', source: '/etc' }, 'roots-1'),
    /source: \/etc is outside the plan's allowed roots for ad-hoc backup sources/,
  );
  assert.match(
    await start('restoreWorkflow', { asset: 'model', target: '/var/tmp/ldr-out' }, 'roots-2'),
    /target: \/var\/tmp\/ldr-out is outside the plan's allowed roots for restore targets/,
  );
  assert.match(await start('restoreWorkflow', { asset: 'model', target: `${stack.dir}/../x` }, 'roots-3'), /target: must not contain "\." or "\.\." segments/);
  // inside the root, but over an asset's source (the demo primary's model folder lies inside it)
  assert.match(await start('restoreWorkflow', { asset: 'model', target: path.dirname(demo.primaryDir) }, 'roots-4'), /contains the source of asset model/);
  assert.equal(fs.existsSync('/var/tmp/ldr-out'), false);
  const ok = await start('restoreWorkflow', { asset: 'model', target: path.join(stack.dir, 'restored-model') }, 'roots-5');
  assert.equal(ok, 'ran');
});
