import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_QUERIES, SimulatedSite, startMetricsEndpoint, type MetricsEndpoint } from '../../src/demo/metrics-endpoint';
import { startPrometheus, type PrometheusServer } from '../../src/demo/prometheus';
import { collectSamples, parsePredictionConfig, queryRange, trainingHistory } from '../../src/predict';
import { waitFor } from '../helpers/predict';

/** The Prometheus source against a real Prometheus scraping a test endpoint (the demo's simulated site). */
let dir: string;
let endpoint: MetricsEndpoint;
let prom: PrometheusServer;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-prom-'));
  endpoint = await startMetricsEndpoint({ site: new SimulatedSite({ seed: 7 }) });
  prom = await startPrometheus({ dir: path.join(dir, 'prometheus'), targets: [endpoint.target], scrapeIntervalMs: 1000 });
});
after(async () => {
  await prom?.stop();
  await endpoint?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('query_range returns the series Prometheus scraped from the endpoint', { timeout: 60_000 }, async () => {
  const t0 = Date.now();
  const series = await waitFor(
    'three scrapes',
    async () => {
      const r = await queryRange({ url: prom.url }, { query: 'demo_disk_used_ratio', start: t0 - 10_000, end: Date.now(), stepMs: 1000 });
      return r.length === 1 && r[0].samples.length >= 3 ? r : undefined;
    },
    30_000,
    250,
  );
  assert.equal(series[0].id, 'demo_disk_used_ratio{instance="' + endpoint.target + '",job="lepton-demo",mount="/data"}');
  for (const s of series[0].samples) {
    assert.ok(s.v > 0.55 && s.v < 0.65, `disk ratio ${s.v}`);
    assert.ok(s.t >= t0 - 10_000 && s.t <= Date.now());
  }
  // the values are the endpoint's own (deterministic site), at the scrape times
  const gpu = await queryRange({ url: prom.url }, { query: DEMO_QUERIES.gpu_temp, start: t0, end: Date.now(), stepMs: 1000 });
  assert.equal(gpu.length, 1);
  assert.equal(gpu[0].id, '{}');
  assert.ok(gpu[0].samples.every((s) => s.v > 55 && s.v < 80));
  // a bad query is a BadInputError (not retried)
  await assert.rejects(queryRange({ url: prom.url }, { query: 'sum(', start: t0, end: Date.now(), stepMs: 1000 }), /prometheus query rejected/);
});

test('the loop collection and training read the configured queries under the shared series keys', { timeout: 60_000 }, async () => {
  const config = parsePredictionConfig({
    step: '1s',
    prometheus: { url: prom.url },
    queries: [
      { name: 'disk_used', query: DEMO_QUERIES.disk_used, limit: { limit: 0.95, leadTime: '30m' } },
      { name: 'disk_by_mount', query: 'demo_disk_used_ratio' },
      { name: 'broken', query: 'rate(' },
    ],
  });
  const until = Date.now();
  const r = await collectSamples({ config, since: until - 5000, until, logCursors: {} });
  assert.ok(r.batch.disk_used.length >= 3, JSON.stringify(Object.keys(r.batch)));
  const byMount = Object.keys(r.batch).find((k) => k.startsWith('disk_by_mount{'));
  assert.equal(byMount, `disk_by_mount{instance="${endpoint.target}",job="lepton-demo",mount="/data"}`);
  assert.equal(r.stats.errors.length, 1);
  assert.match(r.stats.errors[0], /^query broken: prometheus query rejected/);
  // training fetches the same keys
  const h = await trainingHistory({ ...config, queries: config.queries.slice(0, 2) }, until, 60_000);
  assert.deepEqual(Object.keys(h.history).sort(), ['disk_by_mount{instance="' + endpoint.target + '",job="lepton-demo",mount="/data"}', 'disk_used']);
  assert.ok(h.sources.points >= 6);
});

test('log sources count pattern matches per step from a cursor, under log_<pattern>{source} keys', async () => {
  const log = path.join(dir, 'kern.log');
  const config = parsePredictionConfig({ step: '1s', logs: [{ name: 'kern', path: log }] });
  const t = Math.floor(Date.now() / 1000) * 1000;
  fs.writeFileSync(log, 'NVRM: Xid (PCI:0000:3b:00): 79, GPU has fallen off the bus\nall good\nOut of memory: Kill process 42\n');
  const first = await collectSamples({ config, since: null, until: t, logCursors: {} });
  fs.appendFileSync(log, 'NVRM: Xid (PCI:0000:3b:00): 48, DBE\n');
  const second = await collectSamples({ config, since: t, until: t + 2000, logCursors: first.logCursors });
  // lines without timestamps count in the interval open when they are read: the second Xid is in the still open t+2s
  assert.deepEqual(
    second.batch['log_gpu_xid{source="kern"}'].map((s) => s.v),
    [1, 0],
  );
  assert.deepEqual(
    second.batch['log_gpu_xid{source="kern"}'].map((s) => s.t),
    [t, t + 1000],
  );
  assert.deepEqual(
    second.batch['log_oom_kill{source="kern"}'].map((s) => s.v),
    [1, 0],
  );
  assert.equal(second.stats.logMatches, 1);
  const h = await trainingHistory(config, t, 60_000);
  assert.deepEqual(Object.keys(h.history).sort(), [
    'log_ecc_error{source="kern"}',
    'log_gpu_xid{source="kern"}',
    'log_io_error{source="kern"}',
    'log_oom_kill{source="kern"}',
  ]);
});
