import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import YAML from 'yaml';
import type { Plan } from '../../src/config/plan-schema';
import { openStore } from '../../src/engine/store/open-store';
import { backupDemo, extendPlan, resetDemo, runFailover, startDemo, type DemoSite } from '../helpers/failover-demo';
import { startStack, type TestStack } from '../helpers/stack';
import { findTool } from '../helpers/tools';

/**
 * Secrets never leave the plan: known values reach the worker through `${VAR}` substitution and
 * headers; a backup, a drill and a failover whose fence action fails with `--token ${FENCE_TOKEN}`
 * run; then every workflow history, the worker log and every object in the repository are
 * scanned (raw and base64-decoded): no secret appears.
 */
const SECRETS = { FENCE_TOKEN: 'fence-tok-5b7e1c9d', HEALTH_TOKEN: 'health-tok-a13f77e0', HOOK_TOKEN: 'hook-tok-0c44e9b2' };
const LITERAL_HEADER = 'literal-api-key-66c2d0';

let stack: TestStack;
let demo: DemoSite;

before(async () => {
  stack = await startStack();
  const d = await startDemo(stack, { name: 'demo' });
  const base = d.config();
  const primary = base.primary as Record<string, unknown>;
  const standby = base.standby as Record<string, unknown>;
  const [standbyCheck] = standby.health as Record<string, unknown>[];
  // prints its argv (the token) and fails
  const leakyFence = {
    type: 'command',
    argv: [process.execPath, '-e', "console.log('fencing with', process.argv.slice(1).join(' ')); process.exit(3)", '--', '--token', '${FENCE_TOKEN}'],
    timeoutMs: 5000,
  };
  extendPlan(
    stack,
    [{ name: 'model', source: d.primaryDir }],
    [
      d.config({
        fencing: { at: 'start' },
        primary: {
          ...primary,
          fence: leakyFence,
          unfence: { type: 'http', method: 'POST', url: `${d.primary.url}/admin/unfence`, headers: { 'x-api-key': LITERAL_HEADER }, timeoutMs: 2000 },
        },
        standby: { ...standby, health: [{ ...standbyCheck, headers: { authorization: 'Bearer ${HEALTH_TOKEN}' } }] },
        // the prediction loop's webhook credentials live in the plan, on the worker
        prediction: {
          interval: '1s',
          step: '1s',
          lag: 0,
          pushed: [{ series: 'disk_used' }],
          sinks: { log: true, webhook: { url: 'http://127.0.0.1:9/hook', headers: { authorization: 'Bearer ${HOOK_TOKEN}' } } },
          policy: { failover: 'recommendOnly' },
        },
      }),
    ],
  );
  Object.assign(stack.env, SECRETS);
  stack.env.LEPTON_DR_LOG_LEVEL = 'info';
  stack.startWorker();
  demo = { ...d, snapshotId: await backupDemo(stack, d) };
});
after(async () => {
  await demo?.stop();
  await stack?.stop();
});

const needles = [...Object.values(SECRETS), LITERAL_HEADER];

/** Secrets found in `text` or in any base64 run inside it (payloads are base64 in the CLI's JSON). */
function leaks(text: string): string[] {
  const decoded = (text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []).map((b) => Buffer.from(b, 'base64').toString('latin1'));
  return needles.filter((n) => text.includes(n) || decoded.some((d) => d.includes(n)));
}

test(
  'backup, restore, drill, the prediction loop and a failover with a failing fence action leave no secret in histories, logs or the repository',
  { timeout: 180_000 },
  async () => {
    await resetDemo(demo);
    await stack.client.workflow.execute('restoreWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: 'scan-restore',
      args: [{ asset: 'model', target: path.join(stack.dir, 'restored') }],
    });
    await stack.client.workflow.execute('predictionWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: 'predict-demo',
      args: [{ site: 'demo', maxIterations: 2 }],
    });
    const drill = await runFailover(stack, { site: 'demo', mode: 'drill', source: 'test' });
    assert.ok(drill.ok, drill.error);
    const failover = await runFailover(stack, { site: 'demo', mode: 'unplanned', skipApproval: true, source: 'test' });
    assert.ok(failover.ok, failover.error);
    const fence = failover.report.steps.find((s) => s.name === 'fence')!;
    assert.equal(fence.status, 'skipped');
    assert.match(fence.detail ?? '', /--token \*\*\*: exit code 3/, 'the failing action is still named, its secret redacted');

    // every workflow history, as the Temporal CLI shows it
    const temporal = findTool('temporal');
    const ids: { id: string; run: string }[] = [];
    for await (const w of stack.client.workflow.list()) ids.push({ id: w.workflowId, run: w.runId });
    assert.ok(ids.length >= 4, `workflows: ${ids.map((w) => w.id).join(', ')}`);
    for (const w of ids) {
      const { stdout } = await promisify(execFile)(
        temporal,
        ['workflow', 'show', '--address', stack.temporal.address, '--namespace', stack.temporal.namespace, '-w', w.id, '-r', w.run, '--output', 'json'],
        { maxBuffer: 64 << 20 },
      );
      assert.ok(stdout.length > 100, `history of ${w.id}`);
      assert.deepEqual(leaks(stdout), [], `history of ${w.id}`);
    }

    // the worker's log (info level: action results, activity failures, SDK warnings)
    const log = fs.readFileSync(stack.workers[0].logFile, 'utf8');
    assert.match(log, /action failed/);
    assert.deepEqual(leaks(log), [], 'worker log');

    // every object in the repository
    const plan = YAML.parse(fs.readFileSync(stack.planFile, 'utf8')) as Plan;
    const store = openStore(plan.repository, stack.env);
    const objects = await store.list('');
    assert.ok(
      objects.some((o) => o.key.startsWith('reports/failover/')),
      'reports are stored',
    );
    for (const o of objects) assert.deepEqual(leaks((await store.get(o.key)).toString('latin1')), [], o.key);
  },
);
