import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { S3Client, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { failureText } from '../helpers/failure-text';
import { startStack, type TestStack } from '../helpers/stack';
import { writeRandomFile } from '../helpers/tree-fixture';
import type { BackupResult } from '../../src/contracts/types';

let stack: TestStack;
let src: string;
let s3: S3Client;

before(async () => {
  src = '';
  stack = await startStack({ packSizeMiB: 4, pruneMinGraceHours: 0 });
  src = path.join(stack.dir, 'assets');
  fs.mkdirSync(src);
  const plan = fs
    .readFileSync(stack.planFile, 'utf8')
    .replace('assets: []', `assets:\n  - name: models\n    source: ${src}\n    retention:\n      keepLast: 1\n`);
  fs.writeFileSync(stack.planFile, plan);
  stack.startWorker();
  s3 = new S3Client({
    endpoint: stack.seaweed.endpoint,
    region: stack.seaweed.region,
    forcePathStyle: true,
    credentials: { accessKeyId: stack.seaweed.accessKeyId, secretAccessKey: stack.seaweed.secretAccessKey },
  });
});
after(async () => {
  s3?.destroy();
  await stack?.stop();
});

const run = async <T>(type: string, input: unknown, id: string): Promise<T> =>
  (await stack.client.workflow.execute(type, { taskQueue: stack.taskQueue, workflowId: id, args: [input] })) as T;

async function keys(prefix: string): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: 'lepton-test', Prefix: `repo/${prefix}` }));
  return (r.Contents ?? []).map((o) => o.Key as string);
}

test('retention forgets old snapshots, prune deletes their packs in two phases, verify stays clean', async () => {
  writeRandomFile(path.join(src, 'v1.bin'), 6 * 1024 * 1024, 1);
  await run<BackupResult>('backupWorkflow', { asset: 'models' }, 'm-b1');
  fs.rmSync(path.join(src, 'v1.bin'));
  writeRandomFile(path.join(src, 'v2.bin'), 6 * 1024 * 1024, 2);
  const b2 = await run<BackupResult>('backupWorkflow', { asset: 'models' }, 'm-b2');
  const packsBefore = (await keys('data/')).length;

  const first = await run<{ forgotten: { forgotten: string[] }[]; prune: { marked: number; deleted: number } }>('pruneWorkflow', { graceHours: 0 }, 'm-p1');
  assert.equal(first.forgotten[0].forgotten.length, 1, 'keepLast 1 forgets the older snapshot');
  assert.ok(first.prune.marked >= 1, 'its packs are marked');
  assert.equal(first.prune.deleted, 0, 'but not deleted in the same run');
  const second = await run<{ prune: { deleted: number; bytesFreed: number } }>('pruneWorkflow', { graceHours: 0 }, 'm-p2');
  assert.ok(second.prune.deleted >= 1 && second.prune.bytesFreed >= 5 * 1024 * 1024);
  assert.ok((await keys('data/')).length < packsBefore);

  const v = await run<{ errors: string[]; packsRead: number }>('verifyWorkflow', { readData: 1 }, 'm-v1');
  assert.deepEqual(v.errors, []);
  assert.ok(v.packsRead > 0);
  const out = path.join(stack.dir, 'out');
  await run('restoreWorkflow', { snapshot: b2.id, target: out }, 'm-r1');
  assert.deepEqual(fs.readdirSync(out), ['v2.bin']);
});

test('verify reports a corrupt pack by name', async () => {
  const packKey = (await keys('data/'))[0];
  const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'lepton-test', Key: packKey }))).Body!.transformToByteArray());
  body[10] ^= 0xff;
  await s3.send(new PutObjectCommand({ Bucket: 'lepton-test', Key: packKey, Body: body }));
  const packId = packKey.split('/').pop() as string;
  await assert.rejects(run('verifyWorkflow', { readData: 1 }, 'm-v2'), (e) => failureText(e).includes(`pack ${packId}`));
  await assert.rejects(run('pruneWorkflow', { graceHours: -1 }, 'm-bad'), (e) => /graceHours: Number must be greater than or equal to 0/.test(failureText(e)));
});
