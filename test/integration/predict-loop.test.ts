import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { alertSignal, predictionStatusQuery, pushMetricsSignal, retrainSignal, setPolicyUpdate } from '../../src/contracts/prediction-messages';
import type { TrainOutput } from '../../src/contracts/prediction-types';
import { failureText } from '../helpers/failure-text';
import { addToPlan, listIds, rising, startCaptureServer, waitFor, type CaptureServer } from '../helpers/predict';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { CLI_JS, DIST_ROOT, startStack, type TestStack } from '../helpers/stack';

/**
 * The prediction loop against the real Temporal dev server and SeaweedFS: training, pushed
 * metrics -> warning -> one pre-emptive backup despite repeated triggers (and a fresh loop in the
 * same slot), a worker killed with SIGKILL, continue-as-new carrying the state, policy updates.
 */
Runtime.install({ logger: new DefaultLogger('WARN') });
process.env.LEPTON_DR_LOG_LEVEL ??= 'warn';

let stack: TestStack;
let hook: CaptureServer;

const LIMIT = { limit: 0.9, leadTime: '1h', windowPoints: 10, minPoints: 5 };

function siteConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    interval: '1s',
    step: '1s',
    lag: 0,
    pushed: [{ series: 'disk_used', limit: LIMIT }],
    cooldown: '10m',
    clearAfter: 2,
    sinks: { log: true, webhook: { url: `${hook.url}/hook` } },
    policy: { preemptiveBackup: { assets: ['lab-data'], cooldown: '7d' }, failover: 'recommendOnly' },
    training: { window: '1h' },
    ...extra,
  };
}

before(async () => {
  stack = await startStack();
  hook = await startCaptureServer();
  const data = path.join(stack.dir, 'lab-data');
  fs.mkdirSync(data, { recursive: true });
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(data, `f${i}.txt`), `file ${i}\n`.repeat(100));
  addToPlan(stack, {
    assets: [{ name: 'lab-data', source: data }],
    sites: [
      { name: 'lab', prediction: siteConfig() },
      { name: 'lab-can', prediction: siteConfig({ policy: { failover: 'off' }, sinks: { log: true } }) },
    ],
  });
  stack.startWorker();
});
after(async () => {
  await stack?.stop();
  await hook?.close();
});

const status = (h: WorkflowHandle) => h.query(predictionStatusQuery);

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WorkflowUpdateFailedError, `expected an update refusal, got ${String(e)}`);
    return failureText(e);
  }
  assert.fail('expected the update to be refused');
}

let lab: WorkflowHandle;
let backupId: string;

test('training stores a versioned model; pushed metrics raise a warning and exactly one pre-emptive backup', { timeout: 90_000 }, async () => {
  const t0 = Date.now();
  const trained = (await stack.client.workflow.execute('trainingWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: 'train-lab',
    args: [{ site: 'lab' }],
  })) as TrainOutput;
  assert.match(trained.version, /^v\d{8}T\d{9}Z-[0-9a-f]{8}$/);
  assert.deepEqual(trained.series, ['disk_used']);
  assert.equal(trained.key, `models/lab/${trained.version}.json`);

  lab = await stack.client.workflow.start('predictionWorkflow', { taskQueue: stack.taskQueue, workflowId: 'predict-lab', args: [{ site: 'lab' }] });
  await waitFor('the first iteration', async () => ((await status(lab)).iteration >= 1 ? true : undefined));
  let s = await status(lab);
  assert.equal(s.modelVersion, trained.version);
  assert.equal(s.level, 'ok');

  // a disk filling fast towards its 0.9 limit
  await lab.signal(pushMetricsSignal, { samples: rising('disk_used', 12, 0.5, 0.86) });
  s = await waitFor('a warning and its action', async () => {
    const x = await status(lab);
    return (x.level === 'high' || x.level === 'critical') && x.recentWarnings.length > 0 ? x : undefined;
  });
  assert.ok(s.risk >= 0.8, `risk ${s.risk}`);
  assert.ok(
    s.reasons.some((r) => r.source === 'disk_used' && /limit|0\.9/.test(r.message)),
    JSON.stringify(s.reasons),
  );
  const started = s.recentActions.filter((a) => a.kind === 'preemptive-backup');
  assert.equal(started.length, 1);
  assert.equal(started[0].outcome, 'started');
  backupId = started[0].workflowId!;
  assert.match(backupId, /^preemptive-lab-lab-data-\d+$/);

  // repeated triggers: keep the risk up for a few more iterations
  for (let i = 0; i < 4; i++) {
    await lab.signal(pushMetricsSignal, { samples: rising('disk_used', 3, 0.87 + i * 0.005, 0.875 + i * 0.005) });
    await new Promise((r) => setTimeout(r, 700));
  }
  s = await status(lab);
  assert.ok(s.iteration >= 4);
  assert.equal(s.recentActions.filter((a) => a.kind === 'preemptive-backup').length, 1, 'the cooldown holds further backups');
  const warnings = hook.requests.filter((r) => r.path === '/hook');
  assert.equal(warnings.length, 1, `one webhook notification, got ${warnings.length}`);
  const body = warnings[0].body as { text: string; lepton: { level: string; kind: string; actions: string[] } };
  assert.match(body.text, /site lab: risk/);
  assert.equal(body.lepton.kind, 'raise');
  assert.ok(body.lepton.actions.some((a) => a.includes(backupId)));
  if (s.level === 'critical') assert.ok(s.recentActions.some((a) => a.kind === 'failover-recommendation' && a.outcome === 'recorded'));

  const backup = stack.client.workflow.getHandle(backupId);
  const r = (await backup.result()) as { files: number };
  assert.equal(r.files, 20);
  console.log(
    `  trained, warned and backed up in ${Date.now() - t0} ms; risk ${s.risk.toFixed(3)} level ${s.level}; P(W) ${s.duty.prediction.toFixed(5)} P(B) ${s.duty.backup}`,
  );
});

test('a fresh loop in the same cooldown slot joins the backup instead of starting another', { timeout: 60_000 }, async () => {
  await lab.terminate('test: start afresh');
  const again = await stack.client.workflow.start('predictionWorkflow', { taskQueue: stack.taskQueue, workflowId: 'predict-lab', args: [{ site: 'lab' }] });
  await again.signal(pushMetricsSignal, { samples: rising('disk_used', 12, 0.5, 0.86) });
  const s = await waitFor('the fresh loop to act', async () => {
    const x = await status(again);
    return x.recentActions.some((a) => a.kind === 'preemptive-backup') ? x : undefined;
  });
  const act = s.recentActions.find((a) => a.kind === 'preemptive-backup')!;
  assert.equal(act.workflowId, backupId);
  assert.equal(act.outcome, 'joined');
  const ids = await waitFor('visibility', async () => {
    const x = await listIds(stack.client, `WorkflowType = 'backupWorkflow'`);
    return x.length ? x : undefined;
  });
  assert.deepEqual(ids, [backupId], 'exactly one pre-emptive backup');
  const d = await again.describe();
  assert.equal(d.status.name, 'RUNNING');
  // P(B) sees the backup that ran
  // both duty cycles are measured in whole milliseconds of workflow time: wait until each has some
  const duty = await waitFor('the backup and prediction duty cycles', async () => {
    const x = await status(again);
    return x.duty.backup !== null && x.duty.backup > 0 && x.duty.prediction > 0 ? x.duty : undefined;
  });
  assert.ok(duty.backup! > 0 && duty.backup! <= 1);
  assert.ok(duty.prediction > 0 && duty.prediction < 1);
  lab = again;
});

test('the loop survives a worker killed with SIGKILL and keeps its state', { timeout: 90_000 }, async () => {
  const before = await status(lab);
  const w = stack.workers[stack.workers.length - 1];
  process.kill(-w.pid, 'SIGKILL');
  await w.exited;
  // messages sent while no worker runs are kept by the server
  await lab.signal(alertSignal, {
    alerts: [
      {
        status: 'firing',
        fingerprint: 'kill-1',
        startsAt: new Date().toISOString(),
        labels: { alertname: 'NodeDown', severity: 'warning', dr_site: 'lab' },
        annotations: { summary: 'node gone' },
      },
    ],
  });
  await lab.signal(retrainSignal, { reason: 'after the kill' });
  stack.startWorker();
  const s = await waitFor(
    'iterations on the new worker',
    async () => {
      const x = await status(lab);
      return x.iteration >= before.iteration + 3 ? x : undefined;
    },
    60_000,
  );
  assert.ok(s.alerts.some((a) => a.fingerprint === 'kill-1'));
  assert.equal(s.recentActions.filter((a) => a.kind === 'preemptive-backup').length, 1, 'no new backup after the restart');
  assert.notEqual(s.level, 'ok', 'the warning is kept (the firing alert holds it)');
  const train = await waitFor('the retrain', async () => (await status(lab)).recentActions.find((a) => a.kind === 'training'));
  assert.equal(train.workflowId, 'train-lab');
  await stack.client.workflow.getHandle('train-lab').result();
  const next = await waitFor('the new model in use', async () => {
    const x = await status(lab);
    return x.modelVersion !== before.modelVersion ? x : undefined;
  });
  assert.match(next.modelVersion!, /^v\d{8}T/);
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI JSON; each test asserts its shape
function cli(...args: string[]): { code: number; out: string; err: string; json: () => any } {
  const r = spawnSync(process.execPath, [CLI_JS, '--plan', stack.planFile, ...args], { env: stack.env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

test('the CLI: predict status, pause, resume, policy, start (joins)', { timeout: 90_000 }, async () => {
  const help = cli('predict', '--help');
  for (const sub of ['score', 'eval', 'start', 'status', 'pause', 'resume', 'retrain', 'train', 'policy', 'stop'])
    assert.match(help.out, new RegExp(`^  ${sub}`, 'm'));
  const st = cli('--json', 'predict', 'status', '--site', 'lab');
  assert.equal(st.code, 0, st.err);
  assert.equal(st.json().site, 'lab');
  const text = cli('predict', 'status', '--site', 'lab');
  assert.match(text.out, /^site lab: (WARN|HIGH|CRITICAL) \(risk /m);
  assert.match(text.out, /duty cycles over 60min: P\(B\) backing up \d/);
  assert.match(text.out, /pre-emptive|preemptive/);
  assert.equal(cli('predict', 'pause', '--site', 'lab', '--reason', 'maintenance').code, 0);
  await waitFor('paused', async () => ((await status(lab)).paused ? true : undefined));
  assert.match(cli('predict', 'status', '--site', 'lab').out, /PAUSED \(maintenance\)/);
  const it = (await status(lab)).iteration;
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await status(lab)).iteration, it, 'no iteration while paused');
  assert.equal(cli('predict', 'resume', '--site', 'lab').code, 0);
  await waitFor('resumed', async () => ((await status(lab)).iteration > it ? true : undefined));
  const bad = cli('predict', 'policy', '--site', 'lab', '--warn', '2');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /thresholds\.warn: must be between 0 and 1/);
  const refused = cli('predict', 'policy', '--site', 'lab', '--high', '0.3');
  assert.equal(refused.code, 1);
  assert.match(refused.err, /thresholds\.high: must be above thresholds\.warn \(0\.5\)/);
  const ok = cli('--json', 'predict', 'policy', '--site', 'lab', '--cooldown', '20m');
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.json().cooldownMs, 1_200_000);
  const again = cli('--json', 'predict', 'start', '--site', 'lab');
  assert.equal(again.code, 0, again.err);
  assert.equal(again.json().joined, true);
  assert.match(cli('predict', 'status', '--site', 'nope').err, /not found/i);
});

test('continue-as-new carries the state; setPolicy applies valid updates and refuses invalid ones naming the field', { timeout: 90_000 }, async () => {
  const h = await stack.client.workflow.start('predictionWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: 'predict-lab-can',
    args: [{ site: 'lab-can', maxIterationsPerRun: 3 }],
  });
  const firing = {
    status: 'firing' as const,
    fingerprint: 'fp-1',
    startsAt: '2026-01-01T00:00:00Z',
    labels: { alertname: 'GpuHot', severity: 'warning' },
    annotations: { summary: 'GPU 0 at 91C' },
  };
  await h.signal(alertSignal, { alerts: [firing] });
  const first = await waitFor('the alert to raise a warning', async () => {
    const x = await status(h);
    return x.level === 'warn' ? x : undefined;
  });
  assert.equal(first.risk, 0.6);
  const firstRun = first.runId;

  // updates: valid ones apply, invalid ones are refused by the validator and change nothing
  const p = await h.executeUpdate(setPolicyUpdate, { args: [{ thresholds: { warn: 0.4 }, cooldownMs: '5m' }] });
  assert.equal(p.thresholds.warn, 0.4);
  assert.equal(p.cooldownMs, 300_000);
  assert.match(await refusal(h.executeUpdate(setPolicyUpdate, { args: [{ thresholds: { warn: 1.5 } }] })), /thresholds\.warn: must be between 0 and 1/);
  assert.match(
    await refusal(h.executeUpdate(setPolicyUpdate, { args: [{ thresholds: { high: 0.3 } }] })),
    /thresholds\.high: must be above thresholds\.warn \(0\.4\)/,
  );
  assert.match(await refusal(h.executeUpdate(setPolicyUpdate, { args: [{ intervalMs: 'soon' } as never] })), /intervalMs: must be milliseconds or a duration/);
  assert.match(await refusal(h.executeUpdate(setPolicyUpdate, { args: [{ bogus: 1 } as never] })), /Unrecognized key\(s\) in object: 'bogus'/);
  assert.match(
    await refusal(h.executeUpdate(setPolicyUpdate, { args: [{ alertRisk: { warning: 0.95 }, failover: 'maybe' } as never] })),
    /failover: must be 'request', 'recommendOnly' or 'off'/,
  );
  await h.executeUpdate(setPolicyUpdate, { args: [{ alertRisk: { warning: 0.85, critical: 0.97 } }] });

  // force several continue-as-new
  const later = await waitFor(
    'two continue-as-new',
    async () => {
      const x = await status(h);
      return x.runs >= 3 ? x : undefined;
    },
    45_000,
  );
  assert.notEqual(later.runId, firstRun);
  assert.ok(later.iteration >= 6);
  assert.ok(
    later.alerts.some((a) => a.fingerprint === 'fp-1'),
    'the firing alert is carried',
  );
  assert.equal(later.policy.thresholds.warn, 0.4, 'the update is carried');
  assert.equal(later.policy.cooldownMs, 300_000);
  assert.equal(later.risk, 0.85, 'the alert is re-rated with the new policy');
  assert.equal(later.level, 'high');
  assert.equal(later.recentWarnings[0].kind, 'raise');

  // the dedupe set is carried: the same delivery again is a duplicate
  await h.signal(alertSignal, { alerts: [firing] });
  await waitFor('the duplicate counted', async () => ((await status(h)).alertStats.duplicates === 1 ? true : undefined));
  // resolved clears, and the resolution is notified once the cooldown allows (5 min: held back here)
  await h.signal(alertSignal, { alerts: [{ ...firing, status: 'resolved', endsAt: new Date().toISOString() }] });
  const cleared = await waitFor('the level to fall', async () => {
    const x = await status(h);
    return x.level === 'ok' ? x : undefined;
  });
  assert.equal(cleared.alerts.length, 0);
  assert.ok(cleared.suppressed >= 1);
  const hist = await h.fetchHistory();
  assert.ok((hist.events ?? []).length < 200, `history stays short (${hist.events?.length} events)`);
  // determinism: the histories (signals, updates, children, a worker kill) replay on the bundle
  const bundle = { workflowBundle: { codePath: path.join(DIST_ROOT, 'workflow-bundle.js') } };
  await Worker.runReplayHistory(bundle, hist, 'predict-lab-can');
  await Worker.runReplayHistory(bundle, await lab.fetchHistory(), 'predict-lab');
  await h.terminate('test done');
});

test('a bad input fails the run with the field named', { timeout: 30_000 }, async () => {
  const h = await stack.client.workflow.start('predictionWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: 'predict-bad',
    args: [{ site: 'x', maxIterationsPerRun: 0 }],
  });
  await assert.rejects(h.result(), (e: unknown) => /maxIterationsPerRun: Number must be greater than or equal to 1/.test(failureText(e)));
  const bad = await stack.client.workflow.start('predictionWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: 'predict-bad-config',
    args: [{ site: 'inline', config: { thresholds: { warn: 0.9, high: 0.8, critical: 0.95 } } }],
  });
  await assert.rejects(bad.result(), (e: unknown) => /thresholds\.high: must be above thresholds\.warn/.test(failureText(e)));
});
