import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { startBridge, type Bridge } from '../../src/bridge/server';
import { startPrometheus, type PrometheusServer } from '../../src/demo/prometheus';
import { freePorts } from '../../src/stack/ports';
import { predictionStatusQuery } from '../../src/contracts/prediction-messages';
import { startAlertmanager, type Alertmanager } from '../helpers/alertmanager';
import { addToPlan, waitFor } from '../helpers/predict';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * Alerting end to end with the real servers: a real Prometheus scrapes a real worker, the
 * shipped "snapshot too old" rule (its threshold shortened to seconds) fires once the newest
 * snapshot is older than the objective, the real Alertmanager routes it to the bridge, and the
 * site's prediction loop receives it as a monitoring alert.
 */
const TOKEN = 'e2e-bridge-token-0123456789abcdef';
let stack: TestStack;
let bridge: Bridge;
let am: Alertmanager;
let prom: PrometheusServer;

before(async () => {
  stack = await startStack({ packSizeMiB: 4 });
  const src = path.join(stack.dir, 'models');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'model.json'), '{"weights": [1, 2, 3]}\n');
  addToPlan(stack, {
    assets: [{ name: 'models', source: src }],
    sites: [{ name: 'lab', prediction: { interval: '1s', step: '1s', lag: 0, sinks: { log: true } } }],
  });
  const [metricsPort] = await freePorts(1);
  stack.env.LEPTON_DR_METRICS_PORT = String(metricsPort);
  stack.startWorker();
  // the worker binds its metrics port only once it has opened the repository: until then a server
  // started on a port of its own choosing (the bridge's is the kernel's pick) may take the same one
  await waitFor(
    'the worker to serve its metrics',
    async () => ((await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => undefined))?.ok ? true : undefined),
    30_000,
  );
  bridge = await startBridge({ client: stack.client, taskQueue: stack.taskQueue, token: TOKEN, sites: ['lab'] });
  am = await startAlertmanager({ dir: path.join(stack.dir, 'alertmanager'), webhookUrl: `${bridge.url}/webhook/alertmanager`, token: TOKEN });

  // the shipped rule, with the objective shortened from 6 h to 2 s and the site label the bridge routes by
  const shipped = YAML.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'deploy', 'prometheus', 'lepton-dr-rules.yml'), 'utf8')) as {
    groups: { rules: Record<string, unknown>[] }[];
  };
  const rule = shipped.groups[0].rules.find((r) => r.alert === 'LeptonDrSnapshotTooOld') as { expr: string; labels: Record<string, string> };
  assert.match(rule.expr, /> 6 \* 3600$/);
  const rulesFile = path.join(stack.dir, 'rules.yml');
  fs.writeFileSync(
    rulesFile,
    YAML.stringify({
      groups: [{ name: 'e2e', rules: [{ ...rule, expr: rule.expr.replace('> 6 * 3600', '> 2'), for: '0s', labels: { ...rule.labels, dr_site: 'lab' } }] }],
    }),
  );
  prom = await startPrometheus({
    dir: path.join(stack.dir, 'prometheus'),
    targets: [`127.0.0.1:${metricsPort}`],
    jobName: 'lepton-dr-worker',
    scrapeIntervalMs: 1000,
    ruleFiles: [rulesFile],
    alertmanagers: [am.url.replace(/^http:\/\//, '')],
  });
});
after(async () => {
  await prom?.stop();
  await am?.stop();
  await bridge?.close();
  await stack?.stop();
});

test('a missed backup objective fires in Prometheus, goes through Alertmanager and the bridge, and reaches the site loop', { timeout: 120_000 }, async () => {
  await stack.client.workflow.execute('backupWorkflow', { taskQueue: stack.taskQueue, workflowId: 'e2e-backup', args: [{ asset: 'models' }] });
  const firing = await waitFor(
    'the rule to fire in Prometheus',
    async () => {
      const r = (await (await fetch(`${prom.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      return r.data.alerts.find((a) => a.labels.alertname === 'LeptonDrSnapshotTooOld' && a.state === 'firing');
    },
    60_000,
  );
  assert.equal(firing.labels.asset, 'models');
  await waitFor(
    'Alertmanager to hold it',
    async () => ((await am.alerts()).some((a) => a.labels.alertname === 'LeptonDrSnapshotTooOld') ? true : undefined),
    30_000,
  );
  const loop = stack.client.workflow.getHandle('predict-lab');
  const alert = await waitFor(
    'the loop to receive it',
    async () => (await loop.query(predictionStatusQuery)).alerts.find((a) => a.name === 'LeptonDrSnapshotTooOld'),
    60_000,
  );
  assert.equal(alert.severity, 'critical');
  assert.match(alert.summary, /asset models: newest snapshot is .* old/);
  await loop.terminate('test over');
});
