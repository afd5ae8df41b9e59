import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startLocalStack, type LocalStack } from '../../src/stack/local-stack';
import { freePort } from '../../src/stack/ports';
import { localStackEndpoints } from '../../src/stack/stack-endpoints';
import { localStackPorts } from '../../src/stack/stack-ports';
import { readStackStatus } from '../../src/stack/stack-status';
import { capturedLog, freeStackPorts, runCli, waitFor, writeStackPlan } from '../helpers/local-stack';
import { CLI_JS } from '../helpers/stack';

let dir: string;
let stack: LocalStack | undefined;
const captured = capturedLog();
const plans = { good: '', bad: '' };
const queues = { good: `no-worker-good-${process.pid}`, bad: `no-worker-bad-${process.pid}` };

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-no-worker-'));
  const ports = await freeStackPorts();
  const ep = localStackEndpoints(localStackPorts(ports), dir);
  plans.good = path.join(dir, 'good.yaml');
  plans.bad = path.join(dir, 'bad.yaml');
  writeStackPlan(plans.good, ep, { taskQueue: queues.good, dir });
  // an S3 endpoint that is not the stack's: the stack gives its worker no credentials for it
  writeStackPlan(plans.bad, ep, { taskQueue: queues.bad, dir, endpoint: `http://127.0.0.1:${await freePort()}` });
  stack = await startLocalStack({ withWorker: false, ports, stateDir: dir, banner: false, handleSignals: false, log: captured.log });
});

after(async () => {
  await stack?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const cliEnv = (plan: string): NodeJS.ProcessEnv => ({
  ...process.env,
  LEPTON_DR_PLAN: plan,
  LEPTON_DR_STATE_DIR: dir,
  LEPTON_DR_LOG_LEVEL: 'warn',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
});

/** No credentials anywhere: not in the environment, no shared files, no instance metadata. */
const noCredentials: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_PROFILE: '',
  AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), 'ldr-no-such-credentials'),
  AWS_CONFIG_FILE: path.join(os.tmpdir(), 'ldr-no-such-config'),
  AWS_EC2_METADATA_DISABLED: 'true',
};

async function runsOfType(type: string): Promise<string[]> {
  const connection = await Connection.connect({ address: stack!.temporalAddress });
  try {
    const ids: string[] = [];
    for await (const w of new Client({ connection, namespace: stack!.namespace }).workflow.list({ query: `WorkflowType = '${type}'` })) ids.push(w.workflowId);
    return ids;
  } finally {
    await connection.close();
  }
}

test('no worker polls: --no-wait-for-worker fails saying so and starts nothing; without it the CLI warns, waits, and finishes once a worker comes', async () => {
  const r = await runCli(['--no-wait-for-worker', 'snapshots'], cliEnv(plans.good));
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, new RegExp(`no worker is polling task queue "${queues.good}" .*start one with \`lepton-dr worker\` or \`lepton-dr up\``));
  assert.match(r.err, /the local stack \(lepton-dr up, pid \d+, state .*\) serves this Temporal;\n {2}it runs no worker \(started with --no-worker\)/);
  assert.match(r.err, /nothing was started/);
  assert.deepEqual(await runsOfType('listSnapshotsWorkflow'), [], 'no run was started');

  // Waiting: the warning comes while the command waits, then the run completes once a worker polls.
  const child = spawn(process.execPath, [CLI_JS, '--json', 'snapshots'], { env: cliEnv(plans.good) });
  let err = '';
  let out = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor('the no-worker warning', () => (err.includes(`no worker is polling task queue "${queues.good}"`) ? true : undefined));
  assert.match(err, /the run waits until a worker polls/);
  assert.equal(child.exitCode, null, 'still waiting');
  stack!.startWorker({ planFile: plans.good, logName: 'worker-good' });
  assert.equal(await exited, 0, err);
  assert.match(err, new RegExp(`a worker is polling task queue "${queues.good}" now`));
  assert.deepEqual(JSON.parse(out), { snapshots: [], invalid: [] });
});

test('a worker that cannot start (no S3 credentials for its plan): the stack prints the cause at once, and the CLI shows it with the log', async () => {
  const w = stack!.startWorker({ planFile: plans.bad, logName: 'worker-bad', env: noCredentials });
  const line = await waitFor('the cause on the console', () =>
    captured.lines.find((l) => /^worker exited \(code 1\) [\d.]+ s after its start: worker failed: /.test(l.msg)),
  );
  assert.match(line.msg, /credentials/i, line.msg);
  assert.equal(line.level, 50, 'an error, not a warning');
  assert.ok(line.msg.includes(w.logFile), 'names the log');

  const status = readStackStatus(stack!.paths.statusFile);
  const bad = status?.workers.find((x) => x.name === 'worker-bad');
  assert.match(bad?.lastExit?.cause ?? '', /credentials/i, 'the status file keeps the cause for the CLI');

  const r = await runCli(['--no-wait-for-worker', 'snapshots'], cliEnv(plans.bad));
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, new RegExp(`no worker is polling task queue "${queues.bad}"`));
  assert.match(r.err, /its worker-bad cannot start: worker failed: .*credentials/i);
  assert.ok(r.err.includes(`log ${w.logFile}`), r.err);
});
