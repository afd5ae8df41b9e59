import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { describeMeta, makeTortureTree, userXattrsWork } from '../helpers/metadata-tree';
import { CLI_JS, startStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
let src: string;
let xattrs: boolean;

before(async () => {
  stack = await startStack();
  xattrs = userXattrsWork(stack.dir);
  src = path.join(stack.dir, 'torture');
  makeTortureTree(src, { xattrs });
  stack.startWorker();
});
after(async () => {
  await stack?.stop();
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI_JS, '--plan', stack.planFile, '--json', ...args], { env: stack.env, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('torture tree through the CLI, workflows and a worker: every entry restores exactly', (t) => {
  assert.equal(process.getuid?.(), 0, 'this test creates devices and foreign owners: run it as root');
  if (!xattrs) t.diagnostic(`the filesystem at ${stack.dir} refuses user xattrs (or getfattr/setfattr are missing): xattrs are not checked`);
  const b = cli('backup', '--asset', 'torture', '--source', src);
  assert.equal(b.code, 0, b.err);
  const target = path.join(stack.dir, 'torture-restored');
  const r = cli('restore', '--asset', 'torture', '--snapshot', (JSON.parse(b.out) as { id: string }).id, '--target', target);
  assert.equal(r.code, 0, r.err);
  const want = describeMeta(src, { xattrs });
  const got = describeMeta(target, { xattrs });
  const diffs = [...new Set([...want.keys(), ...got.keys()])]
    .filter((k) => JSON.stringify(want.get(k)) !== JSON.stringify(got.get(k)))
    .map(
      (k) => `${Buffer.from(k, 'hex').toString('latin1') || '<root>'}:\n  source   ${JSON.stringify(want.get(k))}\n  restored ${JSON.stringify(got.get(k))}`,
    );
  assert.deepEqual(diffs, []);
  assert.ok(want.size >= 20, `the tree has ${want.size} entries`);
});
