import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import YAML from 'yaml';
import type { BackupResult } from '../../src/contracts/types';
import { spawnServer, type ServerProcess } from '../helpers/child';
import { failureText } from '../helpers/failure-text';
import { startLockSeaweed, type Credential, type LockSeaweed } from '../helpers/object-lock';
import { WORKER_JS } from '../helpers/stack';
import { startTemporal, type TemporalDev } from '../helpers/temporal';
import { describeTree, writeRandomFile } from '../helpers/tree-fixture';
import { workerLaunch } from '../../src/stack/worker-process';

let weed: LockSeaweed;
let temporal: TemporalDev;
let connection: Connection;
let client: Client;
let dir: string;
let src: string;
const workers: ServerProcess[] = [];

before(async () => {
  [weed, temporal] = await Promise.all([startLockSeaweed(), startTemporal()]);
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection, namespace: temporal.namespace });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-immut-worker-'));
  src = path.join(dir, 'models');
  fs.mkdirSync(src);
});
after(async () => {
  await Promise.all(workers.map((w) => w.stop(2000)));
  await connection?.close();
  await Promise.all([weed?.stop(), temporal?.stop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A worker on its own task queue with its own plan (repository section overridden) and S3 credential. */
function startWorker(name: string, repository: Record<string, unknown>, who: Credential): ServerProcess {
  const planFile = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    planFile,
    YAML.stringify({
      version: 1,
      repository: {
        url: `s3://${weed.lockedBucket}/repo`,
        endpoint: weed.endpoint,
        region: weed.region,
        pathStyle: true,
        keyFile: path.join(dir, 'repository.key'),
        packSizeMiB: 4,
        pruneMinGraceHours: 0,
        immutability: { retention: '1h', mode: 'governance' },
        ...repository,
      },
      temporal: { address: temporal.address, namespace: temporal.namespace, taskQueue: name },
      assets: [{ name: 'models', source: src, retention: { keepLast: 1 } }],
      roots: { sources: [dir], targets: [dir] },
    }),
  );
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: who.accessKeyId,
    AWS_SECRET_ACCESS_KEY: who.secretAccessKey,
    AWS_REGION: weed.region,
    LEPTON_DR_LOG_LEVEL: 'info',
  };
  const launch = workerLaunch(WORKER_JS, planFile, env);
  const w = spawnServer(process.execPath, launch.args, { logFile: path.join(dir, `${name}.log`), env: launch.env });
  workers.push(w);
  return w;
}

const run = async <T>(taskQueue: string, type: string, input: unknown, id: string): Promise<T> =>
  (await client.workflow.execute(type, { taskQueue, workflowId: id, args: [input] })) as T;

test('backups through an append-only worker with a no-delete credential succeed; a worker with delete rights restores them byte-equal and prunes', async () => {
  const backupWorker = startWorker('backup', { appendOnly: true }, weed.appender);
  writeRandomFile(path.join(src, 'weights.bin'), 6 * 1024 * 1024, 3);
  fs.writeFileSync(path.join(src, 'tokenizer.json'), '{"vocab": 32000}');
  const b1 = await run<BackupResult>('backup', 'backupWorkflow', { asset: 'models' }, 'immut-b1');
  writeRandomFile(path.join(src, 'weights.bin'), 6 * 1024 * 1024, 4);
  const b2 = await run<BackupResult>('backup', 'backupWorkflow', { asset: 'models' }, 'immut-b2');
  assert.notEqual(b1.id, b2.id);
  assert.match(
    fs.readFileSync(backupWorker.logFile, 'utf8'),
    /object lock not verified from this worker/,
    'the worker says it could not verify the lock itself',
  );

  await assert.rejects(
    run('backup', 'restoreWorkflow', { snapshot: b2.id, target: path.join(dir, 'never') }, 'immut-r0'),
    (e) => /repository\.appendOnly: restores delete their tmp\/ work objects/.test(failureText(e)) || assert.fail(failureText(e)),
  );
  assert.equal(fs.existsSync(path.join(dir, 'never')), false);

  const admin = startWorker('admin', {}, weed.admin);
  const out = path.join(dir, 'restored');
  await run('admin', 'restoreWorkflow', { snapshot: b2.id, target: out }, 'immut-r1');
  assert.deepEqual(describeTree(out), describeTree(src));
  assert.deepEqual(fs.readFileSync(path.join(out, 'weights.bin')), fs.readFileSync(path.join(src, 'weights.bin')));
  assert.match(fs.readFileSync(admin.logFile, 'utf8'), /object lock enforced by the store/);

  // keepLast 1 lets b1 go, but it is locked for an hour: prune keeps it and says so
  const p = await run<{ forgotten: { forgotten: string[]; kept: string[] }[]; prune: { workListsSwept: number; deleted: number }; summary: string }>(
    'admin',
    'pruneWorkflow',
    { graceHours: 0 },
    'immut-p1',
  );
  assert.deepEqual(p.forgotten[0].forgotten, []);
  assert.ok(p.forgotten[0].kept.includes(b1.id));
  assert.equal(p.prune.workListsSwept, 2, 'the work lists the append-only worker left are swept by the prune');
  const old = path.join(dir, 'restored-b1');
  await run('admin', 'restoreWorkflow', { snapshot: b1.id, target: old }, 'immut-r2');
  assert.equal(describeTree(old).get('weights.bin')?.size, 6 * 1024 * 1024);
});

test('a worker refuses to start on a bucket without Object Lock when the plan asks for immutability', async () => {
  const w = startWorker('plain', { url: `s3://${weed.bucket}/repo` }, weed.admin);
  await w.exited;
  assert.notEqual(w.exitStatus, 'code 0');
  assert.match(fs.readFileSync(w.logFile, 'utf8'), /repository\.immutability: the bucket of s3:\/\/lepton-test\/repo has no Object Lock configuration/);
});
