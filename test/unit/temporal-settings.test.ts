import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { redact } from '../../src/common/secrets';
import { parsePlan } from '../../src/config/load-plan';
import { describeSecurity, temporalConnectionOptions } from '../../src/config/temporal-connection';
import { workerSettings, WORKER_DEFAULTS } from '../../src/worker/worker-settings';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-tsettings-'));
const planFile = path.join(dir, 'plan.yaml');
const repository = { url: 'file:///tmp/ldr-repo', keyFile: 'k' };
const plan = (temporal: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => parsePlan({ repository, temporal }, planFile, env);
for (const f of ['ca.pem', 'client.pem', 'client.key']) fs.writeFileSync(path.join(dir, f), `${f} contents`);

test('plan tls: paths resolve against the plan file and are read into the connection options', () => {
  const p = plan({
    address: 'temporal.example:7233',
    tls: { serverCaFile: 'ca.pem', clientCertFile: 'client.pem', clientKeyFile: 'client.key', serverName: 'temporal.internal' },
  });
  assert.deepEqual(p.temporal.tls, {
    serverCaFile: path.join(dir, 'ca.pem'),
    clientCertFile: path.join(dir, 'client.pem'),
    clientKeyFile: path.join(dir, 'client.key'),
    serverName: 'temporal.internal',
  });
  const o = temporalConnectionOptions(p.temporal, {});
  assert.equal(o.address, 'temporal.example:7233');
  assert.ok(typeof o.tls === 'object');
  assert.equal(o.tls.serverNameOverride, 'temporal.internal');
  assert.equal(o.tls.serverRootCACertificate?.toString(), 'ca.pem contents');
  assert.equal(o.tls.clientCertPair?.crt.toString(), 'client.pem contents');
  assert.equal(o.tls.clientCertPair?.key.toString(), 'client.key contents');
  assert.equal(describeSecurity(o), 'mTLS');
});

test('TEMPORAL_* environment settings override the plan; empty values are unset', () => {
  const env = {
    TEMPORAL_ADDRESS: 'cloud.example:7233',
    TEMPORAL_NAMESPACE: 'prod.acct',
    LEPTON_DR_TASK_QUEUE: 'dr',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: '',
  };
  const p = plan({ address: 'a:1', tls: false }, env);
  assert.equal(p.temporal.address, 'cloud.example:7233');
  assert.equal(p.temporal.namespace, 'prod.acct');
  assert.equal(p.temporal.taskQueue, 'dr');
  assert.deepEqual(p.temporal.tls, { serverCaFile: path.join(dir, 'ca.pem') });
  assert.equal(plan({}, { TEMPORAL_TLS: 'true' }).temporal.tls, true);
  assert.equal(plan({ tls: { serverName: 'x' } }, { TEMPORAL_TLS: 'false' }).temporal.tls, false);
  assert.equal(plan({}, { TEMPORAL_TLS: '', TEMPORAL_API_KEY: '' }).temporal.tls, undefined);
  assert.equal(temporalConnectionOptions(plan({}, {}).temporal, {}).tls, false, 'plaintext by default (the local stack)');
});

test('an API key turns TLS on, is read from the environment or a file, and is redacted from then on', () => {
  const key = 'tc-api-key-7d1e0b55a9c3';
  const p = plan({ address: 'x.tmprl.cloud:7233' }, { TEMPORAL_API_KEY: key });
  assert.equal(p.temporal.apiKeyEnv, 'TEMPORAL_API_KEY');
  const o = temporalConnectionOptions(p.temporal, { TEMPORAL_API_KEY: key });
  assert.equal(o.apiKey, key);
  assert.equal(o.tls, true);
  assert.equal(describeSecurity(o), 'TLS + API key');
  assert.ok(!redact(`connecting with ${key}`).includes(key));
  fs.writeFileSync(path.join(dir, 'api.key'), 'file-api-key-0c4b2f\n');
  const fromFile = temporalConnectionOptions(plan({ apiKeyFile: 'api.key' }).temporal, {});
  assert.equal(fromFile.apiKey, 'file-api-key-0c4b2f');
  assert.equal(
    temporalConnectionOptions(plan({ apiKeyFile: 'api.key', tls: false }).temporal, {}).tls,
    false,
    'explicit tls: false wins (a plaintext proxy in front)',
  );
});

test('bad TLS and API key settings are refused naming the field', () => {
  assert.throws(() => plan({}, { TEMPORAL_TLS: 'yes' }), /TEMPORAL_TLS: must be "true" or "false"/);
  assert.throws(() => plan({ tls: { clientCertFile: 'client.pem' } }), /temporal\.tls\.clientKeyFile: is required with clientCertFile/);
  assert.throws(() => plan({ tls: { clientKeyFile: 'client.key' } }), /temporal\.tls\.clientCertFile: is required with clientKeyFile/);
  assert.throws(() => plan({ tls: { serverCa: 'ca.pem' } }), /temporal\.tls/);
  assert.throws(() => plan({ apiKeyEnv: 'K', apiKeyFile: 'f' }), /temporal\.apiKeyFile: give at most one/);
  assert.throws(() => plan({ apiKeyEnv: 'not a name' }), /temporal\.apiKeyEnv: must be an environment variable name/);
  assert.throws(
    () => temporalConnectionOptions(plan({ tls: { serverCaFile: 'missing.pem' } }).temporal, {}),
    /temporal\.tls\.serverCaFile: cannot read .*missing\.pem \(ENOENT\)/,
  );
  assert.throws(
    () => temporalConnectionOptions(plan({ apiKeyEnv: 'LDR_NO_SUCH_KEY' }).temporal, {}),
    /temporal\.apiKeyEnv: environment variable LDR_NO_SUCH_KEY is not set/,
  );
  fs.writeFileSync(path.join(dir, 'empty.key'), '\n');
  assert.throws(() => temporalConnectionOptions(plan({ apiKeyFile: 'empty.key' }).temporal, {}), /temporal\.apiKeyFile: .*empty/);
});

test('worker settings: defaults, values from the environment, refusals naming the variable', () => {
  assert.deepEqual(workerSettings({}), { ...WORKER_DEFAULTS });
  const bundle = path.join(dir, 'bundle.js');
  fs.writeFileSync(bundle, '');
  const s = workerSettings({
    LEPTON_DR_MAX_CONCURRENT_ACTIVITIES: '16',
    LEPTON_DR_MAX_CONCURRENT_WORKFLOW_TASKS: '8',
    LEPTON_DR_SHUTDOWN_GRACE: '2m',
    LEPTON_DR_WORKFLOW_BUNDLE: bundle,
    LEPTON_DR_METRICS_PORT: '9464',
    LEPTON_DR_SDK_METRICS_PORT: '',
    LEPTON_DR_METRICS_HOST: '0.0.0.0',
    LEPTON_DR_CHUNK_THREADS: '1',
    LEPTON_DR_CHUNK_NICE: '10',
    LEPTON_DR_CHUNK_IO: 'idle',
  });
  assert.deepEqual(s, {
    maxConcurrentActivities: 16,
    maxConcurrentWorkflowTasks: 8,
    shutdownGraceMs: 120_000,
    workflowBundle: bundle,
    metricsPort: 9464,
    metricsHost: '0.0.0.0',
    chunkThreads: 1,
    chunkNice: 10,
    chunkIo: 'idle',
  });
  assert.throws(() => workerSettings({ LEPTON_DR_MAX_CONCURRENT_ACTIVITIES: '0' }), /LEPTON_DR_MAX_CONCURRENT_ACTIVITIES: must be at least 1/);
  assert.throws(() => workerSettings({ LEPTON_DR_MAX_CONCURRENT_WORKFLOW_TASKS: '1' }), /LEPTON_DR_MAX_CONCURRENT_WORKFLOW_TASKS: must be at least 2/);
  assert.throws(() => workerSettings({ LEPTON_DR_MAX_CONCURRENT_ACTIVITIES: 'four' }), /LEPTON_DR_MAX_CONCURRENT_ACTIVITIES: must be a whole number/);
  assert.throws(() => workerSettings({ LEPTON_DR_SHUTDOWN_GRACE: 'soon' }), /LEPTON_DR_SHUTDOWN_GRACE: must be milliseconds or a duration/);
  assert.throws(() => workerSettings({ LEPTON_DR_WORKFLOW_BUNDLE: path.join(dir, 'nope.js') }), /LEPTON_DR_WORKFLOW_BUNDLE: file does not exist/);
  assert.throws(() => workerSettings({ LEPTON_DR_METRICS_PORT: '70000' }), /LEPTON_DR_METRICS_PORT: must be at most 65535/);
  assert.throws(() => workerSettings({ LEPTON_DR_CHUNK_THREADS: '0' }), /LEPTON_DR_CHUNK_THREADS: must be at least 1/);
  assert.throws(() => workerSettings({ LEPTON_DR_CHUNK_NICE: '20' }), /LEPTON_DR_CHUNK_NICE: must be at most 19/);
  assert.throws(() => workerSettings({ LEPTON_DR_CHUNK_IO: 'realtime' }), /LEPTON_DR_CHUNK_IO: /);
});
