import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeHealthFailure, mapResolver, resolveHealthChecks, restoredFilesResolver, waitUntilHealthy } from '../../src/failover/health';
import { HealthCheckSchema } from '../../src/failover/health-check-schema';
import { startModelServerProcess, writeLinearModel, type ModelServerProcess } from '../helpers/model-server';
import { freePort } from '../helpers/nginx';

describe('health checks against a real model server', () => {
  let dir: string;
  let server: ModelServerProcess;
  const modelFile = () => path.join(dir, 'restored', 'model.json');

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-health-'));
    // starts without a model: /health is 503 until the "restore" lands and the server reloads
    server = await startModelServerProcess({ model: modelFile(), name: 'standby' });
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('retries until the standby serves the snapshot model, then reports when', async () => {
    const checks = await resolveHealthChecks(
      [
        HealthCheckSchema.parse({
          name: 'standby-model',
          url: `${server.url}/health`,
          bodyEqualsSha256Of: { asset: 'model', path: 'model.json' },
          intervalMs: 50,
          withinMs: 5000,
        }),
      ],
      mapResolver({ 'model/model.json': 'A'.repeat(64) }),
    );
    assert.equal(checks[0].bodyEquals, 'a'.repeat(64));

    // a restore lands 300 ms later and the server is told to reload
    setTimeout(() => {
      writeLinearModel(modelFile(), [1, 1]);
      void fetch(`${server.url}/admin/reload`, { method: 'POST' });
    }, 300);
    const onDisk = await (async () => {
      await new Promise((r) => setTimeout(r, 350));
      return resolveHealthChecks(
        [
          HealthCheckSchema.parse({
            name: 'standby-model',
            url: `${server.url}/health`,
            bodyEqualsSha256Of: { asset: 'model', path: 'model.json' },
            intervalMs: 50,
            withinMs: 5000,
          }),
        ],
        restoredFilesResolver([{ asset: 'model', targetDir: path.join(dir, 'restored') }]),
      );
    })();
    const attempts: number[] = [];
    const report = await waitUntilHealthy(onDisk, { onAttempt: (_n, a) => attempts.push(a) });
    assert.ok(report.ok, describeHealthFailure(report));
    assert.ok(report.healthyAt && Date.parse(report.healthyAt) >= Date.parse(report.startedAt));
    assert.equal(report.results[0].last.status, 200);

    // the wrong expected hash never passes; the failure says why
    const wrong = await waitUntilHealthy(checks, { withinMs: 200 });
    assert.equal(wrong.ok, false);
    assert.ok(wrong.results[0].attempts >= 2);
    assert.match(
      describeHealthFailure(wrong),
      /1\/1 health check\(s\) failed: standby-model: body "[0-9a-f]{64}" differs from expected "a{64}" after \d+ attempt\(s\)/,
    );
    assert.equal(wrong.healthyAt, undefined);
  });

  it('status, contains, unreachable and timeout failures are described', async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const checks = await resolveHealthChecks([
      HealthCheckSchema.parse({ name: 'route', url: `${server.url}/nope`, withinMs: 0 }),
      HealthCheckSchema.parse({ name: 'contains', url: `${server.url}/admin/status`, bodyContains: '"fenced":true', withinMs: 0 }),
      HealthCheckSchema.parse({ name: 'down', url: `${deadUrl}/health`, withinMs: 0 }),
      HealthCheckSchema.parse({ name: 'ok', url: `${server.url}/admin/status`, bodyContains: '"name":"standby"', withinMs: 0 }),
    ]);
    const r = await waitUntilHealthy(checks);
    assert.equal(r.ok, false);
    const by = Object.fromEntries(r.results.map((x) => [x.name, x]));
    assert.match(by.route.last.error!, /status 404, expected 200/);
    assert.match(by.contains.last.error!, /does not contain "\\"fenced\\":true"|does not contain/);
    assert.match(by.down.last.error!, /ECONNREFUSED/);
    assert.equal(by.ok.ok, true);
    assert.equal(by.ok.expected, 'status 200, body contains ""name":"standby""');
  });

  it('refuses a snapshot expectation without a snapshot', async () => {
    await assert.rejects(
      resolveHealthChecks([HealthCheckSchema.parse({ url: 'http://x/', bodyEqualsSha256Of: { asset: 'model', path: 'm' } })]),
      /expects a snapshot checksum but no snapshot was given/,
    );
    await assert.rejects(mapResolver({}).sha256Of({ asset: 'model', path: 'm' }), /no SHA-256 recorded for model\/m/);
    await assert.rejects(restoredFilesResolver([]).sha256Of({ asset: 'model', path: 'm' }), /asset "model" has no restore target/);
  });
});
