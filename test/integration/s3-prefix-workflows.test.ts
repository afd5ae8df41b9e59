import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type _Object,
} from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import YAML from 'yaml';
import type { BackupResult, RestoreResult } from '../../src/contracts/types';
import { failureText } from '../helpers/failure-text';
import { isObjectGet, startS3Proxy, type S3Proxy } from '../helpers/s3-proxy';
import { CLI_JS, startStack, type TestStack } from '../helpers/stack';

/**
 * An S3 prefix as an asset and as a restore target, through the workflows, a real worker, the
 * Temporal dev server and SeaweedFS. Source and target are reached through a recording proxy
 * (test/helpers/s3-proxy.ts), so the GETs a backup makes are counted at the wire and a publish
 * can be refused deterministically. 2000 small objects with unicode keys and one large object
 * (LEPTON_DR_TEST_BIG_OBJECT_MIB, 256 MiB by default; 2048 for the multi-GB check).
 */
const SMALL = Number(process.env.LEPTON_DR_TEST_S3_OBJECTS ?? 2000);
const PART = 16 * 1024 * 1024;
const BIG_BYTES = Number(process.env.LEPTON_DR_TEST_BIG_OBJECT_MIB ?? 256) * 1024 * 1024;
const BUCKET = 'lepton-test';
const SRC = 'datasets/run-1/';
const BIG_REL = 'checkpoints/model-00001-of-00001.safetensors';
/** per-test bound, larger with the large object (a shared 2-core machine moves about 10-30 MiB/s through backup and restore) */
const TIMEOUT = 600_000 * Math.max(1, BIG_BYTES / (256 * 1024 * 1024));

let stack: TestStack;
let proxy: S3Proxy;
let s3: S3Client;
const small = new Map<string, Buffer>();
let bigSha = '';

const rel = (i: number) => {
  const dirs = ['données/échantillons', '模型/权重', 'emoji/🚀', 'Ελληνικά/κλειδί', 'plain/a/b'];
  return `${dirs[i % dirs.length]}/item-${String(i).padStart(5, '0')}-ß.bin`;
};

async function list(prefix: string): Promise<_Object[]> {
  const out: _Object[] = [];
  let token: string | undefined;
  do {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    out.push(...(r.Contents ?? []));
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function bytesOf(key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function shaOf(key: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const h = createHash('sha256');
  for await (const piece of r.Body as AsyncIterable<Buffer>) h.update(piece);
  return h.digest('hex');
}

const put = (key: string, body: Buffer | string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

async function putBig(key: string): Promise<string> {
  const hash = createHash('sha256');
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  const parts = [];
  for (let p = 1; p <= Math.ceil(BIG_BYTES / PART); p++) {
    const body = randomBytes(Math.min(PART, BIG_BYTES - (p - 1) * PART));
    hash.update(body);
    const r = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: p, Body: body, ContentLength: body.length }));
    parts.push({ ETag: r.ETag, PartNumber: p });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  return hash.digest('hex');
}

/** The prefix holds exactly the source's objects, byte for byte. */
async function assertHoldsSource(prefix: string): Promise<void> {
  const keys = (await list(prefix)).map((o) => (o.Key as string).slice(prefix.length)).sort();
  assert.deepEqual(keys, [...small.keys(), BIG_REL].sort());
  for (let i = 0; i < SMALL; i += 100) {
    await Promise.all(
      [...small.entries()].slice(i, i + 100).map(async ([k, body]) => assert.ok((await bytesOf(prefix + k)).equals(body), `${k} restored byte for byte`)),
    );
  }
  assert.equal(await shaOf(prefix + BIG_REL), bigSha, 'the large object restored byte for byte');
}

const run = async <T>(type: string, input: unknown, id: string): Promise<T> =>
  (await stack.client.workflow.execute(type, { taskQueue: stack.taskQueue, workflowId: id, args: [input] })) as T;

before(async () => {
  stack = await startStack({ packSizeMiB: 16 });
  proxy = await startS3Proxy(stack.seaweed.endpoint);
  const conn = { endpoint: proxy.endpoint, region: stack.seaweed.region, pathStyle: true, accessKeyIdEnv: 'DS_KEY', secretAccessKeyEnv: 'DS_SECRET' };
  const plan = YAML.parse(fs.readFileSync(stack.planFile, 'utf8')) as { roots: { targets: unknown[] }; assets: unknown[] };
  // postRestore sees the restored prefix's url (a model server would reload from it)
  const hook = { type: 'command', argv: [process.execPath, '-e', 'console.log("reload from " + process.env.LEPTON_DR_TARGET)'] };
  plan.assets = [{ name: 'ds', source: `s3://${BUCKET}/${SRC}`, s3: conn, hooks: { postRestore: hook } }];
  plan.roots.targets.push({ url: `s3://${BUCKET}/serving`, s3: conn });
  fs.writeFileSync(stack.planFile, YAML.stringify(plan));
  Object.assign(stack.env, { DS_KEY: stack.seaweed.accessKeyId, DS_SECRET: stack.seaweed.secretAccessKey });
  s3 = new S3Client({
    endpoint: stack.seaweed.endpoint,
    region: stack.seaweed.region,
    forcePathStyle: true,
    credentials: { accessKeyId: stack.seaweed.accessKeyId, secretAccessKey: stack.seaweed.secretAccessKey },
  });
  for (let i = 0; i < SMALL; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, SMALL - i) }, async (_, j) => {
        const body = randomBytes(256 + (((i + j) * 37) % 4096));
        small.set(rel(i + j), body);
        await put(SRC + rel(i + j), body);
      }),
    );
  }
  bigSha = await putBig(SRC + BIG_REL);
  stack.startWorker();
});

after(async () => {
  s3?.destroy();
  await stack?.stop();
  await proxy?.stop();
});

let first: BackupResult;

test('an S3 asset backs up through backupWorkflow and restores onto an S3 prefix through restoreWorkflow, byte for byte', { timeout: TIMEOUT }, async () => {
  const mark = proxy.seen.length;
  first = await run<BackupResult>('backupWorkflow', { asset: 'ds' }, 's3wf-b1');
  assert.equal(first.files, SMALL + 1);
  assert.equal(first.bytes, [...small.values()].reduce((n, b) => n + b.length, 0) + BIG_BYTES);
  // a batch attempt retried (a heartbeat missed on a loaded machine) reads its items again: then at least once
  const events = (await stack.client.workflow.getHandle('s3wf-b1').fetchHistory()).events ?? [];
  const retried = events.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
  const gets = proxy.seen.slice(mark).filter(isObjectGet);
  // every small object once, whole; the large one in ranged GETs of at most 16 MiB that cover it once
  const bigPath = `${BUCKET}/${SRC}${BIG_REL}`;
  const smallGets = gets.filter((g) => g.path !== bigPath).map((g) => g.path);
  const wantSmall = [...small.keys()].map((k) => `${BUCKET}/${SRC}${k}`).sort();
  assert.deepEqual(retried ? [...new Set(smallGets)].sort() : smallGets.sort(), wantSmall);
  const ranges = gets
    .filter((g) => g.path === bigPath)
    .map((g) => /^bytes=(\d+)-(\d+)$/.exec(g.range ?? '') ?? assert.fail(`a GET of the large object without a range: ${g.range}`))
    .map((m) => [Number(m[1]), Number(m[2]) + 1])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  assert.ok(ranges.length >= BIG_BYTES / PART, `${ranges.length} ranged GETs`);
  let at = 0;
  for (const [start, end] of ranges) {
    if (retried && end <= at) continue;
    assert.equal(start, at, 'ranges neither overlap nor leave gaps');
    assert.ok(end - start <= PART);
    at = end;
  }
  assert.equal(at, BIG_BYTES);

  const r = await run<RestoreResult>('restoreWorkflow', { asset: 'ds', target: `s3://${BUCKET}/serving/model-a` }, 's3wf-r1');
  assert.equal(r.target, `s3://${BUCKET}/serving/model-a`);
  assert.equal(r.files, SMALL + 1);
  assert.deepEqual(
    r.hooks?.map((h) => [h.hook, h.ok, h.outputTail?.trim()]),
    [['postRestore', true, `reload from s3://${BUCKET}/serving/model-a`]],
  );
  await assertHoldsSource('serving/model-a/');
  assert.deepEqual(
    (await list('serving/')).filter((o) => (o.Key as string).includes('.lepton-')),
    [],
    'no staging or aside object is left',
  );
  assert.deepEqual(await list('repo/tmp/restores/'), [], 'the restore work lists are cleaned up');
});

test('a second backup after one object changed GETs only that object', { timeout: TIMEOUT }, async () => {
  const changed = rel(Math.floor(SMALL / 3));
  const body = randomBytes(999);
  small.set(changed, body);
  await put(SRC + changed, body);
  const mark = proxy.seen.length;
  const second = await run<BackupResult>('backupWorkflow', { asset: 'ds' }, 's3wf-b2');
  assert.equal(second.parent, first.id);
  assert.equal(second.filesUnchanged, SMALL);
  assert.deepEqual(
    proxy.seen
      .slice(mark)
      .filter(isObjectGet)
      .map((r) => r.path),
    [`${BUCKET}/${SRC}${changed}`],
  );
});

test('a restore refused mid-publish leaves the target prefix as it was', { timeout: TIMEOUT }, async () => {
  const prefix = 'serving/model-b/';
  // the target holds other content under the snapshot's first keys, and a key of its own
  const subset = [...small.keys()].filter((k) => k.startsWith('plain/'));
  const old = new Map<string, string>(subset.slice(0, 200).map((k) => [prefix + k, `old ${k}`]));
  old.set(`${prefix}only-here.txt`, 'kept by the rollback');
  for (const [k, v] of old) await put(k, v);
  const LET_THROUGH = 50;
  let published = 0;
  proxy.refuse = (r) => Boolean(r.copySource?.includes('/serving/.model-b.lepton-restore-')) && ++published > LET_THROUGH;
  try {
    // the plain/ folder only: a fifth of the objects, enough to publish a few batches' worth
    const err = await run('restoreWorkflow', { asset: 'ds', target: `s3://${BUCKET}/serving/model-b`, paths: ['plain'] }, 's3wf-r2').catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, `the restore fails: ${String(err)}`);
    assert.match(failureText(err), /access denied/);
  } finally {
    proxy.refuse = undefined;
  }
  assert.ok(published > LET_THROUGH, `publishing had begun: ${LET_THROUGH} objects were copied onto the target before the refusal`);
  const now = await list(prefix);
  assert.deepEqual(now.map((o) => o.Key).sort(), [...old.keys()].sort(), 'the same keys');
  for (const [k, v] of old) assert.equal((await bytesOf(k)).toString(), v, `${k} holds its old bytes`);
  assert.deepEqual(
    (await list('serving/')).filter((o) => (o.Key as string).includes('.lepton-')),
    [],
    'staging and aside objects are removed',
  );
});

test('lepton-dr restore --target s3://... publishes onto an allowed prefix and refuses one the plan does not allow', { timeout: TIMEOUT }, async () => {
  // asynchronous: the proxy the worker goes through lives in this process
  const cli = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [CLI_JS, '--plan', stack.planFile, '--json', ...args],
        { env: stack.env, encoding: 'utf8', timeout: 240_000 },
        (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const ok = await cli('restore', '--asset', 'ds', '--target', `s3://${BUCKET}/serving/cli`, '--path', 'emoji');
  assert.equal(ok.status, 0, ok.stderr);
  const want = [...small.keys()].filter((k) => k.startsWith('emoji/'));
  assert.equal((JSON.parse(ok.stdout) as RestoreResult).files, want.length);
  const got = await list('serving/cli/');
  assert.deepEqual(got.map((o) => (o.Key as string).slice('serving/cli/'.length)).sort(), want.sort());
  for (const k of want) assert.ok((await bytesOf(`serving/cli/${k}`)).equals(small.get(k) as Buffer), `${k} byte for byte`);

  const refused = await cli('restore', '--asset', 'ds', '--target', `s3://${BUCKET}/elsewhere/x`);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /target: s3:\/\/lepton-test\/elsewhere\/x is outside the plan's allowed S3 roots for restore targets/);
  assert.deepEqual(await list('elsewhere/'), []);
});
