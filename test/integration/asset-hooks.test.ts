import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { openStore } from '../../src/engine/store/open-store';
import type { BlobStore } from '../../src/engine/store/blob-store';
import type { BackupResult, RestoreResult } from '../../src/contracts/types';
import { failureText } from '../helpers/failure-text';
import { startHttpRecorder, type HttpRecorder } from '../helpers/recorders';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * Backup and restore hooks on the real stack: the plan's actions run on the worker in order
 * (pre -> backup -> post), a failing or slow pre hook aborts the backup, and post hooks always
 * run and are told the outcome, also when the run is cancelled.
 */
const SECRET = 'hook-s3cret-value-42';
let stack: TestStack;
let recorder: HttpRecorder;
let store: BlobStore;
let dir: string;

const calls = (name: string) => path.join(dir, `${name}.calls`);
const readCalls = (name: string) => (fs.existsSync(calls(name)) ? fs.readFileSync(calls(name), 'utf8').split('\n').filter(Boolean) : []);
/** A command hook: a small node program with the hook's event in its environment. */
const nodeHook = (script: string, extra: Record<string, unknown> = {}) => ({ type: 'command', argv: [process.execPath, '-e', script], ...extra });
const append = (file: string, what: string) => `require('fs').appendFileSync(${JSON.stringify(file)}, ${what} + '\\n');`;
const src = (name: string) => path.join(dir, 'src', name);

before(async () => {
  recorder = await startHttpRecorder(async (r) => {
    // the post hook must come after the commit: is the snapshot it names in the bucket yet?
    const id = (JSON.parse(r.body || '{}') as { snapshotId?: string }).snapshotId;
    fs.appendFileSync(calls('ordered'), 'postBackup (http)\n');
    return id ? Boolean(await store.head(`snapshots/${id}`)) : undefined;
  });
  // the stack's folder is only known once it runs: hooks are written with a placeholder
  stack = await startStack({ assets: [] });
  dir = stack.dir;
  for (const a of ['ordered', 'slowpre', 'cancelme', 'served']) {
    fs.mkdirSync(src(a), { recursive: true });
    fs.writeFileSync(path.join(src(a), 'model.txt'), `${a} v1`);
  }
  const assets = [
    {
      name: 'ordered',
      source: src('ordered'),
      hooks: {
        preBackup: nodeHook(
          `${append(calls('ordered'), "'preBackup ' + (process.env.LEPTON_DR_OUTCOME ?? '-')")} require('fs').writeFileSync(${JSON.stringify(path.join(src('ordered'), 'flushed.txt'))}, 'flushed'); console.log('flushed with token=' + process.env.TOKEN);`,
          {
            env: { TOKEN: '${HOOK_TOKEN}' },
            timeoutMs: 20_000,
          },
        ),
        postBackup: { type: 'http', method: 'POST', url: `${recorder.url}/post-backup`, headers: { authorization: 'Bearer ${HOOK_TOKEN}' }, timeoutMs: 10_000 },
      },
    },
    {
      name: 'slowpre',
      source: src('slowpre'),
      hooks: {
        preBackup: nodeHook('setTimeout(() => {}, 60000)', { timeoutMs: 500 }),
        postBackup: nodeHook(
          append(calls('slowpre'), "'postBackup ' + process.env.LEPTON_DR_OUTCOME + ' ' + (process.env.LEPTON_DR_SNAPSHOT_ID ?? 'no-snapshot')"),
        ),
      },
    },
    {
      name: 'cancelme',
      source: src('cancelme'),
      hooks: {
        preBackup: nodeHook(
          `require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'cancelme.pid'))}, String(process.pid)); ${append(calls('cancelme'), "'preBackup'")} setTimeout(() => {}, 120000)`,
          { timeoutMs: 300_000 },
        ),
        postBackup: nodeHook(append(calls('cancelme'), "'postBackup ' + process.env.LEPTON_DR_OUTCOME")),
      },
    },
    {
      name: 'served',
      source: src('served'),
      hooks: {
        // a model server reloading: it reads what the restore put in place
        postRestore: nodeHook(
          append(
            calls('served'),
            "'postRestore ' + process.env.LEPTON_DR_OUTCOME + ' ' + require('fs').readFileSync(process.env.LEPTON_DR_TARGET + '/model.txt', 'utf8')",
          ),
        ),
      },
    },
  ];
  const plan = fs.readFileSync(stack.planFile, 'utf8').replace('assets: []', `assets: ${JSON.stringify(assets)}`);
  fs.writeFileSync(stack.planFile, plan);
  store = openStore(stack.seaweed.repository('repo'), stack.env);
  stack.env.HOOK_TOKEN = SECRET;
  stack.startWorker();
});
after(async () => {
  await stack?.stop();
  await recorder?.close();
});

const execute = async <T>(type: string, input: unknown, id: string): Promise<T> => {
  try {
    return (await stack.client.workflow.execute(type, {
      taskQueue: stack.taskQueue,
      workflowId: id,
      args: [input],
      workflowExecutionTimeout: '5 minutes',
    })) as T;
  } catch (e) {
    (e as Error).message = failureText(e);
    throw e;
  }
};

test('pre hook, backup, post hook run in that order; the post hook is told the committed snapshot; secrets never reach the history', async () => {
  const b = await execute<BackupResult>('backupWorkflow', { asset: 'ordered' }, 'hooks-ordered');
  assert.deepEqual(readCalls('ordered'), ['preBackup -', 'postBackup (http)']);
  assert.equal(recorder.requests.length, 1);
  const post = recorder.requests[0];
  assert.equal(post.headers.authorization, `Bearer ${SECRET}`, 'the header reference was resolved on the worker');
  assert.deepEqual(JSON.parse(post.body), { hook: 'postBackup', asset: 'ordered', outcome: 'success', snapshotId: b.id });
  assert.equal(post.seen, true, 'the snapshot was in the bucket when the post hook ran');
  assert.deepEqual(
    b.hooks?.map((h) => [h.hook, h.ok]),
    [
      ['preBackup', true],
      ['postBackup', true],
    ],
  );
  assert.match(b.hooks![0].outputTail, /flushed with token=\*\*\*/, 'hook output is in the result, redacted');
  assert.match(b.summary, /hooks: preBackup ok \(\d+ ms\), postBackup ok/);
  // what the pre hook flushed is in the snapshot: restore it
  const target = path.join(dir, 'restored-ordered');
  await execute<RestoreResult>('restoreWorkflow', { snapshot: b.id, target }, 'hooks-ordered-restore');
  assert.equal(fs.readFileSync(path.join(target, 'flushed.txt'), 'utf8'), 'flushed');
  const history = JSON.stringify((await stack.client.workflow.getHandle('hooks-ordered').fetchHistory()).events);
  assert.ok(!history.includes(SECRET), 'no secret in the workflow history');
  assert.ok(!history.includes('process.env.TOKEN'), 'no hook definition in the workflow history');
});

test('a pre hook that times out fails the backup; the post hook still runs, told "failure"', async () => {
  await assert.rejects(execute('backupWorkflow', { asset: 'slowpre' }, 'hooks-slowpre'), (e: Error) =>
    /preBackup hook of slowpre failed .*timed out after 500 ms/.test(e.message),
  );
  assert.deepEqual(readCalls('slowpre'), ['postBackup failure no-snapshot']);
  assert.deepEqual((await store.list('snapshots/')).length, 1, 'only the snapshot of "ordered": none of slowpre');
  assert.deepEqual(await store.list('tmp/backups/'), [], 'nothing was planned');
  assert.match(
    fs.readFileSync(path.join(dir, 'worker-0.log'), 'utf8'),
    /preBackup hook of slowpre failed: timed out after 500 ms/,
    'the failure is in the worker log',
  );
});

test('a cancelled backup runs its post hook, told "cancelled"; the running pre hook is stopped', async () => {
  const h = await stack.client.workflow.start('backupWorkflow', { taskQueue: stack.taskQueue, workflowId: 'hooks-cancel', args: [{ asset: 'cancelme' }] });
  for (let i = 0; i < 600 && readCalls('cancelme').length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(readCalls('cancelme'), ['preBackup'], 'the pre hook is running');
  await h.cancel();
  await assert.rejects(h.result(), (e) => e instanceof WorkflowFailedError && /cancel/i.test(failureText(e)));
  assert.deepEqual(readCalls('cancelme'), ['preBackup', 'postBackup cancelled']);
  const pid = Number(fs.readFileSync(path.join(dir, 'cancelme.pid'), 'utf8'));
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the pre hook process was killed');
});

test('postRestore runs after the swap (it sees the restored data), and after a failed restore with the old data in place', async () => {
  const b = await execute<BackupResult>('backupWorkflow', { asset: 'served' }, 'hooks-served-backup');
  const target = path.join(dir, 'serving');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'model.txt'), 'old model');
  const r = await execute<RestoreResult>('restoreWorkflow', { asset: 'served', target }, 'hooks-served-restore');
  assert.equal(r.snapshotId, b.id);
  assert.deepEqual(readCalls('served'), ['postRestore success served v1']);
  assert.deepEqual(
    r.hooks?.map((x) => [x.hook, x.ok]),
    [['postRestore', true]],
  );
  fs.writeFileSync(path.join(target, 'model.txt'), 'live model');
  await assert.rejects(execute('restoreWorkflow', { asset: 'served', snapshot: 'deadbeef', target }, 'hooks-served-bad'), /snapshot deadbeef does not exist/);
  assert.deepEqual(readCalls('served'), ['postRestore success served v1', 'postRestore failure live model']);
});
