import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { startBridge, type Bridge } from '../../src/bridge/server';
import { predictionStatusQuery } from '../../src/contracts/prediction-messages';
import { startAlertmanager, type Alertmanager } from '../helpers/alertmanager';
import { addToPlan, waitFor } from '../helpers/predict';
import { CLI_JS, startStack, type TestStack } from '../helpers/stack';

process.env.LEPTON_DR_LOG_LEVEL ??= 'error';

/**
 * The bridge with a real Alertmanager firing to it: bearer tokens (401), malformed bodies (400,
 * nothing signalled), delivery by signal-with-start, duplicates (idempotent), resolved alerts
 * clearing; the loop's own Alertmanager sink routes back to the bridge and is ignored; /metrics.
 */
const TOKEN = 'test-bridge-token-0123456789';
let stack: TestStack;
let bridge: Bridge;
let am: Alertmanager;

const site = { interval: '1s', step: '1s', lag: 0, cooldown: '1s', clearAfter: 1 };

before(async () => {
  stack = await startStack();
  bridge = await startBridge({
    client: stack.client,
    taskQueue: stack.taskQueue,
    token: TOKEN,
    sites: ['edge', 'edge2', 'quiet'],
    metricsSites: ['edge', 'edge2'],
  });
  am = await startAlertmanager({ dir: path.join(stack.dir, 'alertmanager'), webhookUrl: `${bridge.url}/webhook/alertmanager`, token: TOKEN });
  addToPlan(stack, {
    sites: [
      { name: 'edge', prediction: { ...site, sinks: { log: true, alertmanager: { url: am.url } } } },
      { name: 'edge2', prediction: { ...site, pushed: [{ series: 'queue_depth' }] } },
      { name: 'quiet', prediction: site },
    ],
  });
  stack.startWorker();
});
after(async () => {
  await am?.stop();
  await bridge?.close();
  await stack?.stop();
});

const post = (p: string, body: unknown, token: string | null = TOKEN) =>
  fetch(`${bridge.url}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

function payload(alerts: Record<string, unknown>[], status = 'firing'): Record<string, unknown> {
  return {
    version: '4',
    groupKey: '{}:{alertname="DiskFailing"}',
    truncatedAlerts: 0,
    status,
    receiver: 'bridge',
    groupLabels: { alertname: 'DiskFailing' },
    commonLabels: { alertname: 'DiskFailing' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example',
    alerts,
  };
}

const alert = (o: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'DiskFailing', dr_site: 'quiet', severity: 'critical' },
  annotations: { summary: 'SMART errors on /dev/sda' },
  startsAt: '2026-01-01T00:00:00.123456789Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus.example/graph',
  fingerprint: 'abc123',
  ...o,
});

async function notStarted(site: string): Promise<void> {
  await assert.rejects(
    stack.client.workflow.getHandle(`predict-${site}`).describe(),
    (e: unknown) => e instanceof WorkflowNotFoundError,
    `predict-${site} must not exist`,
  );
}

test('missing or wrong tokens get 401 and signal nothing', { timeout: 30_000 }, async () => {
  for (const token of [null, 'wrong-token', `${TOKEN}x`, '']) {
    const r = await post('/webhook/alertmanager', payload([alert()]), token);
    assert.equal(r.status, 401, `token ${token}`);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await post('/metrics/push', { site: 'quiet', samples: [{ series: 'x', v: 1 }] }, token)).status, 401);
  }
  assert.equal((await fetch(`${bridge.url}/metrics`)).status, 401);
  assert.equal((await fetch(`${bridge.url}/metrics`, { headers: { authorization: 'Basic abc' } })).status, 401);
  assert.equal((await fetch(`${bridge.url}/healthz`)).status, 200);
  await notStarted('quiet');
});

test('malformed bodies get 400 with the reason and signal nothing', { timeout: 30_000 }, async () => {
  const cases: [unknown, RegExp][] = [
    ['{"version": "4", ', /body is not JSON/],
    [{ ...payload([alert()]), version: '3' }, /version: must be "4"/],
    [payload([alert({ fingerprint: undefined })]), /alerts\.0\.fingerprint: Required/],
    [payload([alert({ status: 'pending' })]), /alerts\.0\.status: must be 'firing' or 'resolved'/],
    [payload([alert({ startsAt: 'yesterday' })]), /alerts\.0\.startsAt: must be an RFC 3339 time/],
    [{ ...payload([alert()]), truncatedAlerts: undefined }, /truncatedAlerts: Required/],
    // one bad alert among good ones: the whole notification is refused
    [payload([alert({ fingerprint: 'good' }), alert({ labels: 'x' })]), /alerts\.1\.labels: Expected object/],
  ];
  for (const [body, re] of cases) {
    const r = await post('/webhook/alertmanager', body);
    assert.equal(r.status, 400);
    const j = (await r.json()) as { error: string };
    assert.match(j.error, re);
  }
  const push: [unknown, RegExp][] = [
    [{ site: 'quiet', samples: [{ series: 'q', v: 'high' }] }, /samples\.0\.v: Expected number/],
    [{ site: 'quiet', samples: [] }, /samples: must hold at least one sample/],
    [{ site: 'nowhere', samples: [{ series: 'q', v: 1 }] }, /site: site "nowhere" is not in the plan/],
    [{ samples: [{ series: 'q', v: 1 }] }, /site: is required/],
  ];
  for (const [body, re] of push) {
    const r = await post('/metrics/push', body);
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: string }).error, re);
  }
  await notStarted('quiet');
  await notStarted('nowhere');
  assert.equal(bridge.counters.webhooks.invalid, cases.length);
});

test(
  'Alertmanager fires to the bridge: the loop starts, warns, ignores its own alert; duplicates are idempotent; resolved clears',
  { timeout: 90_000 },
  async () => {
    const t0 = Date.now();
    const startsAt = new Date().toISOString();
    await am.post([
      { labels: { alertname: 'DiskFailing', dr_site: 'edge', severity: 'critical', device: 'sda' }, annotations: { summary: 'SMART errors on sda' }, startsAt },
    ]);
    const h = stack.client.workflow.getHandle('predict-edge');
    const firing = await waitFor(
      'the alert in the loop',
      async () => {
        const s = await h.query(predictionStatusQuery);
        return s.alerts.length === 1 && s.level === 'high' ? s : undefined;
      },
      30_000,
      200,
    );
    console.log(`  Alertmanager -> bridge -> loop warning in ${Date.now() - t0} ms`);
    assert.equal(firing.alerts[0].name, 'DiskFailing');
    assert.equal(firing.risk, 0.9);
    assert.ok(firing.reasons.some((r) => r.source === 'alert:DiskFailing' && /SMART errors on sda/.test(r.message)));
    const fp = firing.alerts[0].fingerprint;

    // the loop's Alertmanager sink: its alert is in Alertmanager, routed back to the bridge and ignored there
    const own = await waitFor('the prediction alert in Alertmanager', async () => {
      const a = await am.alerts('alertname="LeptonDrPredictedRisk"');
      return a.length ? a : undefined;
    });
    assert.equal(own[0].labels.dr_site, 'edge');
    assert.equal(own[0].labels.severity, 'high');
    assert.equal(own[0].labels.lepton_dr_source, 'prediction');
    await waitFor('the bridge to skip the loop alert', async () => ((bridge.counters.alerts.skipped ?? 0) >= 1 ? true : undefined), 20_000);
    let s = await h.query(predictionStatusQuery);
    assert.equal(s.alerts.length, 1, 'the loop never holds its own alert');

    // a duplicate delivery (Alertmanager retrying) changes nothing
    const dup = payload([alert({ labels: { alertname: 'DiskFailing', dr_site: 'edge', severity: 'critical', device: 'sda' }, fingerprint: fp, startsAt })]);
    const before = s.alertStats;
    for (let i = 0; i < 2; i++) {
      const r = await post('/webhook/alertmanager', dup);
      assert.equal(r.status, 200);
      const j = (await r.json()) as { delivered: { site: string; alerts: number }[] };
      assert.deepEqual(
        j.delivered.map((d) => d.site),
        ['edge'],
      );
    }
    s = await waitFor('the duplicates counted', async () => {
      const x = await h.query(predictionStatusQuery);
      return x.alertStats.duplicates >= before.duplicates + 2 ? x : undefined;
    });
    assert.equal(s.alerts.length, 1);
    assert.equal(s.warningsSent, 1, 'one warning notification');

    // resolved: Alertmanager sends the resolution, the loop clears and ends its own alert
    await am.post([
      {
        labels: { alertname: 'DiskFailing', dr_site: 'edge', severity: 'critical', device: 'sda' },
        annotations: { summary: 'SMART errors on sda' },
        startsAt,
        endsAt: new Date().toISOString(),
      },
    ]);
    s = await waitFor(
      'the resolution',
      async () => {
        const x = await h.query(predictionStatusQuery);
        return x.alerts.length === 0 && x.level === 'ok' && x.recentWarnings.some((w) => w.kind === 'resolved') ? x : undefined;
      },
      30_000,
      200,
    );
    assert.equal(s.risk, 0);
    assert.deepEqual(
      s.recentWarnings.map((w) => `${w.kind}:${w.level}`),
      ['raise:high', 'resolved:ok'],
    );
    await waitFor(
      'the prediction alert to end in Alertmanager',
      async () =>
        (await am.alerts('alertname="LeptonDrPredictedRisk"')).every((a) => a.status.state !== 'active' || Date.parse(a.endsAt) <= Date.now())
          ? true
          : undefined,
      20_000,
    );
    // a late duplicate of the firing does not bring it back
    assert.equal((await post('/webhook/alertmanager', dup)).status, 200);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await h.query(predictionStatusQuery)).alerts.length, 0);
  },
);

test('pushed metrics start the loop by signal-with-start; /metrics exposes risk, level and duty cycles', { timeout: 60_000 }, async () => {
  const now = Date.now();
  const r = await post('/metrics/push', {
    site: 'edge2',
    samples: [
      { series: 'queue_depth', t: now - 2000, v: 3 },
      { series: 'queue_depth', v: 4 },
    ],
  });
  assert.equal(r.status, 202);
  assert.deepEqual(await r.json(), { workflowId: 'predict-edge2', samples: 2 });
  const h = stack.client.workflow.getHandle('predict-edge2');
  await waitFor('iterations of edge2', async () => ((await h.query(predictionStatusQuery)).iteration >= 2 ? true : undefined));
  const s = await h.query(predictionStatusQuery);
  assert.equal(s.pushedRejected, 0);

  const m = await fetch(`${bridge.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(m.status, 200);
  assert.match(m.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await m.text();
  for (const re of [
    /^# TYPE lepton_dr_prediction_risk gauge$/m,
    /^lepton_dr_prediction_up\{site="edge"\} 1$/m,
    /^lepton_dr_prediction_up\{site="edge2"\} 1$/m,
    /^lepton_dr_prediction_risk\{site="edge"\} 0$/m,
    /^lepton_dr_prediction_level\{site="edge"\} 0$/m,
    /^lepton_dr_duty_cycle_prediction\{site="edge2"\} 0\.\d+(e-\d+)?$/m,
    /^lepton_dr_duty_cycle_backup\{site="edge"\} 0$/m,
    /^lepton_dr_prediction_warnings_total\{site="edge"\} 2$/m,
    /^lepton_dr_bridge_webhooks_total\{result="unauthorized"\} 4$/m,
    /^lepton_dr_bridge_pushes_total\{result="ok"\} 1$/m,
  ]) {
    assert.match(text, re);
  }
});

test('lepton-dr bridge: refuses to run without a token; serves with one and stops on SIGTERM', { timeout: 30_000 }, async () => {
  const run = (env: NodeJS.ProcessEnv) =>
    spawn(process.execPath, [CLI_JS, '--plan', stack.planFile, '--json', 'bridge', '--port', '0', '--token-env', 'BRIDGE_TEST_TOKEN'], {
      env: { ...stack.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const noToken = run({});
  let err = '';
  noToken.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((r) => noToken.on('exit', r));
  assert.equal(code, 2);
  assert.match(err, /environment variable BRIDGE_TEST_TOKEN is not set/);

  const b = run({ BRIDGE_TEST_TOKEN: TOKEN });
  let out = '';
  b.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const url = await waitFor('the bridge url', () => (out.includes('\n') ? (JSON.parse(out.split('\n')[0]) as { url: string }).url : undefined), 20_000);
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  assert.equal((await fetch(`${url}/webhook/alertmanager`, { method: 'POST', body: '{}' })).status, 401);
  const r = await fetch(`${url}/webhook/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{}' });
  assert.equal(r.status, 400);
  b.kill('SIGTERM');
  assert.equal(await new Promise<number | null>((res) => b.on('exit', res)), 0);
});
