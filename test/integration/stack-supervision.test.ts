import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startLocalStack, type LocalStack } from '../../src/stack/local-stack';
import { localStackEndpoints } from '../../src/stack/stack-endpoints';
import { localStackPorts } from '../../src/stack/stack-ports';
import type { BackupResult } from '../../src/contracts/types';
import { capturedLog, freeStackPorts, runCli, waitFor, writeStackPlan } from '../helpers/local-stack';
import { makeAssetTree } from '../helpers/tree-fixture';

let dir: string;
let stack: LocalStack | undefined;
let planFile: string;
let src: string;
let cliEnv: NodeJS.ProcessEnv;
const captured = capturedLog();

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-supervise-'));
  src = path.join(dir, 'assets');
  makeAssetTree(src, { largeFiles: 1, largeSize: 2 * 1024 * 1024, smallFiles: 40 });
  const ports = await freeStackPorts();
  planFile = path.join(dir, 'plan.yaml');
  writeStackPlan(planFile, localStackEndpoints(localStackPorts(ports), dir), { taskQueue: `supervise-${process.pid}`, dir });
  stack = await startLocalStack({ withWorker: true, ports, stateDir: dir, banner: false, handleSignals: false, log: captured.log, planFile });
  cliEnv = {
    ...process.env,
    LEPTON_DR_PLAN: planFile,
    LEPTON_DR_STATE_DIR: dir,
    LEPTON_DR_LOG_LEVEL: 'warn',
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
  };
});

after(async () => {
  await stack?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const logged = (re: RegExp) => () => captured.lines.find((l) => re.test(l.msg));

test('kill -9 of the Temporal dev server: the stack says so, restarts it on the same SQLite state, and runs started before and after complete', async () => {
  const s = stack!;
  const connection = await Connection.connect({ address: s.temporalAddress });
  const client = new Client({ connection, namespace: s.namespace });
  const before = await client.workflow.start('backupWorkflow', {
    taskQueue: `supervise-${process.pid}`,
    workflowId: 'supervise-before',
    args: [{ asset: 'before', source: src }],
  });
  await connection.close();

  const pid = s.temporal.server.pid;
  process.kill(pid, 'SIGKILL');
  const died = await waitFor('the death logged', logged(new RegExp(`Temporal dev server \\(pid ${pid}\\) was killed by SIGKILL`)));
  assert.match(died.msg, /restarting it with the same state \(SQLite .*temporal\.db, gRPC port \d+\)/);
  assert.equal(died.level, 50, 'logged as an error');
  await waitFor('the return logged', logged(/Temporal dev server is back \(pid \d+/));
  assert.notEqual(s.temporal.server.pid, pid, 'the stack exposes the new server');
  assert.equal(s.temporal.server.exitStatus, undefined);

  // the status file names the new pid, so a later `up` could reap it
  const status = JSON.parse(fs.readFileSync(s.paths.statusFile, 'utf8')) as { children: { name: string; pid: number }[] };
  assert.equal(status.children.find((c) => c.name === 'temporal')?.pid, s.temporal.server.pid);

  // the run started before the crash was kept in SQLite and completes
  const conn2 = await Connection.connect({ address: s.temporalAddress });
  try {
    const r = (await new Client({ connection: conn2, namespace: s.namespace }).workflow.getHandle(before.workflowId).result()) as BackupResult;
    assert.match(r.id, /^[0-9a-f]{32}$/);
  } finally {
    await conn2.close();
  }
  // the CLI works against the restarted server: a new backup, and the list shows both
  const b = await runCli(['--json', 'backup', '--asset', 'after', '--source', src], cliEnv);
  assert.equal(b.code, 0, b.err);
  const l = await runCli(['--json', 'snapshots'], cliEnv);
  assert.equal(l.code, 0, l.err);
  assert.deepEqual((JSON.parse(l.out) as { snapshots: { asset: string }[] }).snapshots.map((x) => x.asset).sort(), ['after', 'before']);
});

test('kill -9 of SeaweedFS: the stack says so, restarts it on the same data, and backups work again', async () => {
  const s = stack!;
  const pid = s.seaweed.server.pid;
  process.kill(pid, 'SIGKILL');
  await waitFor(
    'the death logged',
    logged(new RegExp(`SeaweedFS \\(pid ${pid}\\) was killed by SIGKILL.*restarting it with the same state \\(data .*S3 port \\d+\\)`)),
  );
  await waitFor('the return logged', logged(/SeaweedFS is back \(pid \d+/));
  assert.notEqual(s.seaweed.server.pid, pid);
  const b = await runCli(['--json', 'backup', '--asset', 'after-s3', '--source', src], cliEnv);
  assert.equal(b.code, 0, b.err);
  const l = await runCli(['--json', 'snapshots'], cliEnv);
  assert.equal(l.code, 0, l.err);
  assert.deepEqual(
    (JSON.parse(l.out) as { snapshots: { asset: string }[] }).snapshots.map((x) => x.asset).sort(),
    ['after', 'after-s3', 'before'],
    'the data written before the crash is still there',
  );
});

test('a server the stack gives up on stops the stack, saying which server and why', async () => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-giveup-'));
  const own = capturedLog();
  const s = await startLocalStack({
    withWorker: false,
    ports: await freeStackPorts(),
    stateDir: state,
    banner: false,
    handleSignals: false,
    log: own.log,
    serverRestart: { maxQuickFailures: 1 },
  });
  try {
    const pid = s.temporal.server.pid;
    process.kill(pid, 'SIGKILL');
    await s.stopped;
    assert.match(
      s.failure ?? '',
      /^Temporal dev server keeps dying \(1 times in a row within 10 s of starting; last was killed by SIGKILL \(up [\d.]+ s\)\); giving up\. Its log .*temporal\.log ends with:/,
    );
    assert.ok(
      own.lines.some((l) => l.level === 60 && l.msg === s.failure),
      'logged as fatal',
    );
    assert.ok(own.lines.some((l) => l.msg === 'stopping the local stack: it cannot run without that server'));
    assert.ok(!own.lines.some((l) => /did not stop within its grace time/.test(l.msg)), 'the killed server is not reported as a slow stop');
    assert.notEqual(s.seaweed.server.exitStatus, undefined, 'the other server was stopped');
    assert.ok(!fs.existsSync(s.paths.statusFile), 'nobody runs the stack now');
  } finally {
    await s.stop();
    fs.rmSync(state, { recursive: true, force: true });
  }
});
