import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { NativeConnection } from '@temporalio/worker';
import YAML from 'yaml';
import { connect } from '../../src/cli/context';
import { redact } from '../../src/common/secrets';
import { loadPlanFile } from '../../src/config/load-plan';
import { temporalConnectionOptions } from '../../src/config/temporal-connection';
import { runWorker } from '../../src/worker/run-worker';
import { listSnapshotsWorkflow } from '../../src/workflows';
import { startTemporal, type TemporalDev } from '../helpers/temporal';
import { makePki, startTlsProxy, type TestPki, type TlsProxy } from '../helpers/tls-proxy';

/**
 * A worker and the CLI against a Temporal frontend that only speaks TLS: the dev server behind a
 * TLS-terminating nginx (mTLS on one port, TLS plus an API key on another), with a CA and
 * certificates made by openssl. The same settings a remote cluster or Temporal Cloud needs.
 */

process.env.LEPTON_DR_LOG_LEVEL ??= 'warn';
const API_KEY = 'lepton-test-api-key-3f9a2c71d5';
let dir: string;
let temporal: TemporalDev;
let pki: TestPki;
let proxy: TlsProxy;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-tls-'));
  pki = makePki(path.join(dir, 'pki'));
  temporal = await startTemporal();
  proxy = await startTlsProxy({ dir, pki, upstream: temporal.address, apiKey: API_KEY });
});

after(async () => {
  await proxy?.stop();
  await temporal?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function writePlan(name: string, temporalSection: Record<string, unknown>): string {
  const f = path.join(dir, name);
  fs.writeFileSync(
    f,
    YAML.stringify({
      version: 1,
      repository: { url: `file://${path.join(dir, 'repo')}`, keyFile: path.join(dir, 'repository.key') },
      temporal: temporalSection,
    }),
  );
  return f;
}

const refused = async (options: Parameters<typeof NativeConnection.connect>[0]) => {
  await assert.rejects(async () => {
    const c = await NativeConnection.connect(options);
    await c.close();
  });
};

test('a worker (TEMPORAL_TLS_* environment) and the CLI (plan tls:) run a workflow over mTLS', async () => {
  const taskQueue = `lepton-tls-${process.pid}`;
  // the worker: a plan without TLS, the cluster's settings from the environment, as in a container
  const workerPlan = loadPlanFile(writePlan('worker-plan.yaml', { address: '127.0.0.1:1', taskQueue }), {
    TEMPORAL_ADDRESS: proxy.mtlsAddress,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
    TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
    TEMPORAL_TLS_SERVER_NAME: pki.serverName,
  });
  let stop!: () => void;
  const shutdown = new Promise<void>((r) => (stop = r));
  const running = runWorker({ plan: workerPlan, shutdown });
  running.catch(() => undefined); // awaited below; a start-up failure must not count as unhandled meanwhile
  // the CLI: the same cluster from the plan file, certificate paths relative to it
  const cliPlan = writePlan('cli-plan.yaml', {
    address: proxy.mtlsAddress,
    taskQueue,
    tls: { serverCaFile: 'pki/ca.crt', clientCertFile: 'pki/client.crt', clientKeyFile: 'pki/client.key', serverName: pki.serverName },
  });
  const { client, close } = await connect({ plan: cliPlan });
  try {
    const r = await client.workflow.execute(listSnapshotsWorkflow, { taskQueue, workflowId: `tls-list-${Date.now()}`, args: [{}] });
    assert.deepEqual(r, { snapshots: [], invalid: [] });
  } finally {
    await close();
    stop();
    await running;
  }
});

test('without a client certificate, with a stranger CA, or without the server name the connection is refused', async () => {
  const base = { address: proxy.mtlsAddress, namespace: 'default', taskQueue: 'q' };
  const withTls = (tls: Record<string, string>) => temporalConnectionOptions({ ...base, tls });
  // control: the full settings connect
  const ok = await NativeConnection.connect(
    withTls({ serverCaFile: pki.caCert, clientCertFile: pki.clientCert, clientKeyFile: pki.clientKey, serverName: pki.serverName }),
  );
  await ok.close();
  await refused(withTls({ serverCaFile: pki.caCert, serverName: pki.serverName }));
  await refused(withTls({ serverCaFile: pki.caCert, clientCertFile: pki.strangerCert, clientKeyFile: pki.strangerKey, serverName: pki.serverName }));
  await refused(withTls({ serverCaFile: pki.caCert, clientCertFile: pki.clientCert, clientKeyFile: pki.clientKey }));
  // the CLI says which cluster it could not reach
  const plan = writePlan('no-cert-plan.yaml', { address: proxy.mtlsAddress, tls: { serverCaFile: pki.caCert, serverName: pki.serverName } });
  await assert.rejects(connect({ plan }), new RegExp(`cannot reach Temporal at ${proxy.mtlsAddress.replace(/\./g, '\\.')}`));
});

test('an API key (TEMPORAL_API_KEY) is sent as a bearer token over TLS and never logged', async () => {
  const plan = writePlan('api-key-plan.yaml', { address: proxy.apiKeyAddress, tls: { serverCaFile: pki.caCert, serverName: pki.serverName } });
  await assert.rejects(connect({ plan }), /cannot reach Temporal/, 'no key: the proxy answers 401');
  const saved = process.env.TEMPORAL_API_KEY;
  process.env.TEMPORAL_API_KEY = API_KEY;
  try {
    const { client, close } = await connect({ plan });
    try {
      const info = await client.workflowService.getSystemInfo({});
      assert.ok(info.capabilities);
    } finally {
      await close();
    }
    const worker = await NativeConnection.connect(temporalConnectionOptions(loadPlanFile(plan).temporal));
    await worker.close();
  } finally {
    if (saved === undefined) delete process.env.TEMPORAL_API_KEY;
    else process.env.TEMPORAL_API_KEY = saved;
  }
  assert.equal(redact(`authorization: Bearer ${API_KEY}`), 'authorization: Bearer ***');
});
