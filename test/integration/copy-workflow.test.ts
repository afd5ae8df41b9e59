import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import YAML from 'yaml';
import type { CopyResult } from '../../src/contracts/copy-inputs';
import type { BackupResult } from '../../src/contracts/types';
import { spawnServer, type ServerProcess } from '../helpers/child';
import { failureText } from '../helpers/failure-text';
import { startSeaweed, type Seaweed } from '../helpers/seaweed';
import { CLI_JS, startStack, WORKER_JS, type TestStack } from '../helpers/stack';
import { describeTree, makeAssetTree, writeRandomFile } from '../helpers/tree-fixture';
import { workerLaunch } from '../../src/stack/worker-process';

/**
 * Two SeaweedFS servers (the main region and "east"), one Temporal dev server. The main worker
 * copies to east with east's own credentials and password (named by env variables in its plan);
 * a second worker whose plan's repository IS the east copy restores from it.
 */
let stack: TestStack;
let east: Seaweed;
let s3east: S3Client;
let src: string;
let eastWorker: ServerProcess | undefined;
const EAST_PASSWORD = 'east-region-password';

before(async () => {
  stack = await startStack({ packSizeMiB: 4 });
  east = await startSeaweed({ bucket: 'dr-east', accessKeyId: 'east-key', secretAccessKey: 'east-secret' });
  src = path.join(stack.dir, 'assets');
  makeAssetTree(src, { largeFiles: 1, largeSize: 3 * 1024 * 1024, smallFiles: 40, seed: 11 });
  const plan = YAML.parse(fs.readFileSync(stack.planFile, 'utf8')) as Record<string, unknown>;
  plan.assets = [{ name: 'models', source: src }];
  plan.copyTargets = [
    {
      name: 'east',
      url: 's3://dr-east/replica',
      endpoint: east.endpoint,
      region: east.region,
      pathStyle: true,
      keyFile: path.join(stack.dir, 'east.key'),
      passwordEnv: 'EAST_PASSWORD',
      accessKeyIdEnv: 'EAST_KEY_ID',
      secretAccessKeyEnv: 'EAST_SECRET',
      packSizeMiB: 4,
    },
  ];
  fs.writeFileSync(stack.planFile, YAML.stringify(plan));
  Object.assign(stack.env, { EAST_KEY_ID: east.accessKeyId, EAST_SECRET: east.secretAccessKey, EAST_PASSWORD });
  stack.startWorker();
  s3east = new S3Client({
    endpoint: east.endpoint,
    region: east.region,
    forcePathStyle: true,
    credentials: { accessKeyId: east.accessKeyId, secretAccessKey: east.secretAccessKey },
  });
});
after(async () => {
  s3east?.destroy();
  await eastWorker?.stop(2000);
  await stack?.stop();
  await east?.stop();
});

const run = async <T>(type: string, input: unknown, id: string, taskQueue = stack.taskQueue): Promise<T> =>
  (await stack.client.workflow.execute(type, { taskQueue, workflowId: id, args: [input] })) as T;

/** Every object at the east repository: key -> etag. */
async function eastObjects(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const r = await s3east.send(new ListObjectsV2Command({ Bucket: 'dr-east', Prefix: 'replica/', ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.set(o.Key as string, o.ETag as string);
    token = r.NextContinuationToken;
  } while (token);
  return out;
}

function cli(...args: string[]): CopyResult {
  const r = spawnSync(process.execPath, [CLI_JS, '--plan', stack.planFile, '--json', ...args], { env: stack.env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as CopyResult;
}

let first: BackupResult;
let second: BackupResult;

test('lepton-dr copy --to east --snapshot latest copies the backup; a second copy writes nothing at the destination', async () => {
  first = await run<BackupResult>('backupWorkflow', { asset: 'models' }, 'c-b1');
  const r = cli('copy', '--to', 'east', '--snapshot', 'latest');
  assert.equal(r.steps.length, 1);
  assert.equal(r.steps[0].snapshot, first.id);
  assert.equal(r.steps[0].copied, true);
  assert.equal(r.steps[0].blobsCopied, r.steps[0].blobs, 'an empty destination lacks every blob');
  const afterFirst = await eastObjects();
  assert.ok([...afterFirst.keys()].includes(`replica/snapshots/${first.id}`));

  const again = await run<CopyResult>('copyWorkflow', { target: 'east', snapshots: [first.id.slice(0, 8)] }, 'c-c2');
  assert.equal(again.steps[0].copied, false);
  const missing = cli('copy', '--to', 'east', '--all');
  assert.equal(missing.steps.length, 0, 'nothing is missing');
  assert.deepEqual(await eastObjects(), afterFirst, 'not one object written, replaced or removed at the destination');
});

test('after an incremental backup, copying every missing snapshot moves only the new data', async () => {
  writeRandomFile(path.join(src, 'checkpoints', 'step-2.safetensors'), 1024 * 1024, 21);
  second = await run<BackupResult>('backupWorkflow', { asset: 'models' }, 'c-b2');
  const before = await eastObjects();
  const r = await run<CopyResult>('copyWorkflow', { target: 'east' }, 'c-c3');
  assert.deepEqual(
    r.steps.map((s) => s.snapshot),
    [second.id],
  );
  const s = r.steps[0];
  assert.ok(s.blobsCopied > 0 && s.blobsCopied < s.blobs / 4, `only the new file's chunks (${s.blobsCopied} of ${s.blobs})`);
  assert.ok(s.bytesUploaded < 1.3 * 1024 * 1024, `about the new 1 MiB (${s.bytesUploaded} B)`);
  const now = await eastObjects();
  const added = [...now.keys()].filter((k) => !before.has(k));
  assert.ok(
    [...before].every(([k, e]) => now.get(k) === e),
    'nothing already there was rewritten',
  );
  assert.equal(added.filter((k) => k.startsWith('replica/snapshots/')).length, 1);
  assert.ok(added.filter((k) => k.startsWith('replica/data/')).length <= 2, `one data pack and one tree pack at most: ${added.join(', ')}`);
});

test('a worker in the second region restores the copy: bytes and metadata equal the source', async () => {
  const plan = YAML.parse(fs.readFileSync(stack.planFile, 'utf8')) as {
    repository: Record<string, unknown>;
    copyTargets: Record<string, unknown>[];
    temporal: Record<string, unknown>;
  };
  const { name: _n, accessKeyIdEnv: _a, secretAccessKeyEnv: _s, ...repository } = plan.copyTargets[0];
  const eastPlan = path.join(stack.dir, 'east-plan.yaml');
  const queue = `${stack.taskQueue}-east`;
  fs.writeFileSync(eastPlan, YAML.stringify({ ...plan, repository, copyTargets: [], temporal: { ...plan.temporal, taskQueue: queue } }));
  const launch = workerLaunch(WORKER_JS, eastPlan, { ...stack.env, ...east.env, EAST_PASSWORD });
  eastWorker = spawnServer(process.execPath, launch.args, { logFile: path.join(stack.dir, 'worker-east.log'), env: launch.env });
  const out = path.join(stack.dir, 'restored-east');
  await run('restoreWorkflow', { snapshot: second.id, target: out }, 'c-r-east', queue);
  assert.deepEqual(describeTree(out), describeTree(src));
  const old = path.join(stack.dir, 'restored-east-first');
  await run('restoreWorkflow', { snapshot: first.id, target: old }, 'c-r-east-1', queue);
  assert.ok(!fs.existsSync(path.join(old, 'checkpoints', 'step-2.safetensors')), 'the first snapshot as it was');
  const main = path.join(stack.dir, 'restored-main');
  await run('restoreWorkflow', { snapshot: second.id, target: main }, 'c-r-main');
  assert.deepEqual(describeTree(main), describeTree(src), 'and the main repository still restores');
});

test('copy input names a target and snapshots only, each refusal naming the field', async () => {
  await assert.rejects(run('copyWorkflow', { target: 'nowhere' }, 'c-bad-1'), (e) =>
    /target: "nowhere" is not a copy target of the plan \(copyTargets: east\)/.test(failureText(e)),
  );
  await assert.rejects(run('copyWorkflow', { target: 'east', snapshots: ['zz'] }, 'c-bad-2'), (e) => /snapshots/.test(failureText(e)));
  await assert.rejects(run('copyWorkflow', { target: 'east', endpoint: 'http://elsewhere' }, 'c-bad-3'), (e) =>
    /Unrecognized key.*endpoint/.test(failureText(e)),
  );
  await assert.rejects(run('copyWorkflow', { snapshots: 'latest' }, 'c-bad-4'), (e) => /target: must name a copy target/.test(failureText(e)));
});
