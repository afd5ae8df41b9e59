import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { OBJECTIVE_ALERT_NAME } from '../../src/predict/sinks/warning-sinks';
import { startAlertmanager, type Alertmanager } from '../helpers/alertmanager';
import { backupDemo, extendPlan, runFailover, startDemo, type DemoSite } from '../helpers/failover-demo';
import { startCaptureServer, waitFor, type CaptureServer } from '../helpers/predict';
import { startStack, type TestStack } from '../helpers/stack';

/** A drill that misses its RPO objective reaches the site's warning sinks (webhook, real Alertmanager), not only the log. */
let stack: TestStack;
let demo: DemoSite;
let hook: CaptureServer;
let am: Alertmanager;

before(async () => {
  stack = await startStack();
  hook = await startCaptureServer();
  am = await startAlertmanager({ dir: path.join(stack.dir, 'alertmanager'), webhookUrl: `${hook.url}/am` });
  const d = await startDemo(stack, { name: 'obj' });
  extendPlan(
    stack,
    [{ name: 'model', source: d.primaryDir }],
    [
      d.config({
        name: 'obj',
        objectives: { rtoSeconds: 600, rpoSeconds: 1 },
        prediction: {
          interval: '1m',
          pushed: [{ series: 'disk_used' }],
          sinks: { log: true, webhook: { url: `${hook.url}/hook` }, alertmanager: { url: am.url } },
        },
      }),
    ],
  );
  stack.startWorker();
  demo = { ...d, snapshotId: await backupDemo(stack, d) };
});
after(async () => {
  await demo?.stop();
  await am?.stop();
  await hook?.close();
  await stack?.stop();
});

test('a drill beyond its RPO objective notifies the webhook and raises an Alertmanager alert', { timeout: 90_000 }, async () => {
  // the snapshot is older than the 1 s objective by the time the drill's incident opens
  await new Promise((r) => setTimeout(r, 1500));
  const out = await runFailover(stack, { site: 'obj', mode: 'drill', source: 'test' });
  assert.ok(out.ok, out.error);
  assert.equal(out.report.met.rpo, false);
  const msg = await waitFor('the webhook', async () => hook.requests.find((r) => r.path === '/hook'));
  const body = msg.body as { text: string; lepton: { origin: string; site: string; reasons: { message: string }[] } };
  assert.equal(body.lepton.origin, 'objectives');
  assert.equal(body.lepton.site, 'obj');
  assert.match(body.text, /site obj: .*RPO/);
  const alert = await waitFor('Alertmanager', async () => (await am.alerts()).find((a) => a.labels.alertname === OBJECTIVE_ALERT_NAME));
  assert.equal(alert.labels.dr_site, 'obj');
});
