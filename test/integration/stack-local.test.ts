import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../src/common/search-attributes';
import { LOCAL_STACK } from '../../src/config/local-stack';
import { createS3Client } from '../../src/engine/store/s3-store';
import { StackPortsBusyError } from '../../src/stack/busy-ports';
import { startLocalStack, type LocalStack } from '../../src/stack/local-stack';
import type { LocalStackPortOverrides } from '../../src/stack/stack-ports';
import { busyPorts, freePorts } from '../../src/stack/ports';
import { seaweedPortsFrom } from '../../src/stack/seaweed';

let dir: string;
let ports: LocalStackPortOverrides;
let stack: LocalStack | undefined;
const savedStateDir = process.env.LEPTON_DR_STATE_DIR;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-stack-state-'));
  process.env.LEPTON_DR_STATE_DIR = dir;
  const [temporal, temporalHttp, temporalMetrics, temporalUi, ...sw] = await freePorts(14);
  ports = { temporal, temporalHttp, temporalMetrics, temporalUi, seaweed: seaweedPortsFrom(sw) };
});

after(async () => {
  await stack?.stop();
  if (savedStateDir === undefined) delete process.env.LEPTON_DR_STATE_DIR;
  else process.env.LEPTON_DR_STATE_DIR = savedStateDir;
  fs.rmSync(dir, { recursive: true, force: true });
});

const allPorts = (s: LocalStack) =>
  [s.ports.temporal, s.ports.temporalHttp, s.ports.temporalMetrics, s.ports.temporalUi, ...Object.values(s.ports.seaweed)].map((port) => ({ port }));

function s3(s: LocalStack) {
  return createS3Client({
    endpoint: s.s3Endpoint,
    region: s.region,
    forcePathStyle: true,
    credentials: { accessKeyId: LOCAL_STACK.accessKeyId, secretAccessKey: LOCAL_STACK.secretAccessKey },
    maxAttempts: 1,
  });
}

async function waitFor<T>(what: string, f: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('local stack: UI, S3 and search attributes up; a dead worker is restarted; state survives a restart', async () => {
  // First life, with a worker.
  const s1 = await startLocalStack({ withWorker: true, ports, banner: false, handleSignals: false });
  stack = s1;
  assert.equal(s1.stateDir, dir, 'LEPTON_DR_STATE_DIR decides where the state goes');
  assert.ok(!Object.values(s1.ports).includes(LOCAL_STACK.temporalPort) && s1.ports.seaweed.s3 !== LOCAL_STACK.s3Port, 'tests never use the fixed ports');
  assert.ok(fs.existsSync(path.join(dir, 'temporal', 'temporal.db')));

  const ui = await fetch(s1.uiUrl);
  assert.equal(ui.status, 200, 'Temporal UI answers');
  await ui.arrayBuffer();
  const anon = await fetch(`${s1.s3Endpoint}/${s1.bucket}`);
  await anon.arrayBuffer();
  assert.ok([401, 403].includes(anon.status), `S3 answers, and refuses anonymous requests (HTTP ${anon.status})`);
  const c = s3(s1);
  try {
    await c.send(new PutObjectCommand({ Bucket: s1.bucket, Key: 'stack-test/life-1', Body: 'first life' }));
  } finally {
    c.destroy();
  }

  const connection = await Connection.connect({ address: s1.temporalAddress });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: s1.namespace });
    for (const name of Object.values(SEARCH_ATTRIBUTES)) assert.ok(customAttributes?.[name], `search attribute ${name} registered`);
    const client = new Client({ connection, namespace: s1.namespace });
    // No worker polls this queue: the run stays open, which is what a restart must keep.
    await client.workflow.start('stackTestWorkflow', { taskQueue: 'stack-test-nobody', workflowId: 'stack-life-1', args: [] });
  } finally {
    await connection.close();
  }

  const worker = s1.worker;
  assert.ok(worker);
  const pid1 = await waitFor('the worker', () => worker.pid);
  process.kill(pid1, 'SIGKILL');
  const pid2 = await waitFor('the worker restart', () => (worker.pid && worker.pid !== pid1 ? worker.pid : undefined));
  assert.notEqual(pid2, pid1);
  assert.equal(worker.restarts, 1);

  // A second stack on the same ports says why it cannot start.
  await assert.rejects(startLocalStack({ withWorker: false, ports, banner: false, handleSignals: false }), (e: unknown) => {
    assert.ok(e instanceof StackPortsBusyError);
    assert.match(e.message, /already in use/);
    assert.match(e.message, /already running/);
    return true;
  });

  await s1.stop();
  stack = undefined;
  assert.equal(worker.pid, undefined, 'worker stopped');
  assert.throws(() => process.kill(pid2, 0), 'worker process is gone');
  assert.deepEqual(await busyPorts(allPorts(s1)), [], 'every port is free again');
  assert.ok(!fs.existsSync(s1.paths.statusFile));
  for (const log of ['temporal.log', 'seaweedfs.log', 'worker.log']) assert.ok(fs.existsSync(path.join(dir, 'logs', log)), `${log} written`);

  // Second life, same state dir: the run and the object are still there.
  const s2 = await startLocalStack({ withWorker: false, ports, banner: false, handleSignals: false });
  stack = s2;
  const conn2 = await Connection.connect({ address: s2.temporalAddress });
  try {
    const client = new Client({ connection: conn2, namespace: s2.namespace });
    const d = await client.workflow.getHandle('stack-life-1').describe();
    assert.equal(d.status.name, 'RUNNING');
    const listed: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = 'stack-life-1'` })) listed.push(w.workflowId);
    assert.deepEqual(listed, ['stack-life-1'], 'listed in the second life');
    await client.workflow.getHandle('stack-life-1').terminate('test done');
  } finally {
    await conn2.close();
  }
  const c2 = s3(s2);
  try {
    const obj = await c2.send(new GetObjectCommand({ Bucket: s2.bucket, Key: 'stack-test/life-1' }));
    assert.equal(await obj.Body?.transformToString(), 'first life');
  } finally {
    c2.destroy();
  }
  await s2.stop();
  stack = undefined;
  assert.deepEqual(await busyPorts(allPorts(s2)), []);
});
