import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { describeTree, makeAssetTree } from '../helpers/tree-fixture';
import { CLI_JS, startStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
let src: string;

before(async () => {
  stack = await startStack({ workerEnv: { LEPTON_DR_LOG_LEVEL: 'info' } }); // the worker logs its chunk threads' start
  src = path.join(stack.dir, 'assets');
  makeAssetTree(src, { largeFiles: 1, largeSize: 4 * 1024 * 1024, smallFiles: 50 });
  stack.startWorker();
});
after(async () => {
  await stack?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI JSON; each test asserts its shape
function cli(...args: string[]): { code: number; out: string; err: string; json: () => any } {
  const r = spawnSync(process.execPath, [CLI_JS, '--plan', stack.planFile, ...args], {
    env: { ...stack.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

test('ad-hoc backup, snapshots and restore from the CLI (no storage credentials needed by the CLI)', () => {
  const b = cli('--json', 'backup', '--asset', 'adhoc', '--source', src, '--tag', 'nightly');
  assert.equal(b.code, 0, b.err);
  const snap = b.json();
  assert.match(snap.id, /^[0-9a-f]{32}$/);
  assert.deepEqual(snap.tags, ['nightly']);

  const l = cli('--json', 'snapshots', '--asset', 'adhoc');
  assert.equal(l.code, 0, l.err);
  assert.deepEqual(
    l.json().snapshots.map((s: { id: string }) => s.id),
    [snap.id],
  );
  const text = cli('snapshots');
  assert.match(text.out, new RegExp(snap.id.slice(0, 8)));

  const target = path.join(stack.dir, 'cli-restore');
  const r = cli('--json', 'restore', '--asset', 'adhoc', '--snapshot', snap.id.slice(0, 8), '--target', target);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(describeTree(target), describeTree(src));
  // the bundled worker (dist/bundle/worker.js) started its chunk threads from the bundle's folder
  // (every thread reported ready; a priority it could not lower is logged as a warning instead)
  const log = fs.readFileSync(path.join(stack.dir, 'worker-0.log'), 'utf8');
  assert.match(log, /"msg":"chunk workers (started|: priority not fully lowered)"/);
});

test('malformed flags are refused with the field named, and nothing is started', () => {
  const bad = cli('backup', '--asset', 'bad name!');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /asset: must be letters/);
  const badTime = cli('restore', '--asset', 'adhoc', '--before', 'yesterday', '--target', '/tmp/x');
  assert.equal(badTime.code, 2);
  assert.match(badTime.err, /before: must be an ISO 8601 time/);
  const missing = cli('restore', '--asset', 'adhoc', '--snapshot', 'ffffffff', '--target', path.join(stack.dir, 'nope'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /snapshot ffffffff does not exist/);
  assert.equal(fs.existsSync(path.join(stack.dir, 'nope')), false);
  const unknown = cli('backup', '--asset', 'unknown-asset');
  assert.match(unknown.err, /unknown asset "unknown-asset"/);
});

test('schedules apply is idempotent and follows the plan', () => {
  const plan = YAML.parse(fs.readFileSync(stack.planFile, 'utf8'));
  plan.assets = [
    { name: 'models', source: src, schedule: { every: '1h' }, retention: { keepLast: 3 } },
    { name: 'configs', source: src, schedule: { cron: '0 3 * * *', overlap: 'buffer_one' } },
  ];
  fs.writeFileSync(stack.planFile, YAML.stringify(plan));
  const first = cli('--json', 'schedules', 'apply');
  assert.equal(first.code, 0, first.err);
  assert.deepEqual(first.json().created.sort(), ['lepton-backup-configs', 'lepton-backup-models']);
  const second = cli('--json', 'schedules', 'apply');
  assert.deepEqual(second.json(), { created: [], updated: ['lepton-backup-models', 'lepton-backup-configs'], deleted: [] });
  const list = cli('--json', 'schedules', 'list');
  const ids = list.json().map((s: { id: string }) => s.id);
  assert.ok(ids.includes('lepton-backup-models') && ids.includes('lepton-backup-configs'));
  plan.assets = plan.assets.slice(0, 1);
  fs.writeFileSync(stack.planFile, YAML.stringify(plan));
  assert.deepEqual(cli('--json', 'schedules', 'apply').json().deleted, ['lepton-backup-configs']);
  const badPlan = { ...plan, assets: [{ name: 'x', source: src, schedule: { every: 'often' } }] };
  fs.writeFileSync(stack.planFile, YAML.stringify(badPlan));
  const refused = cli('schedules', 'apply');
  assert.equal(refused.code, 2);
  assert.match(refused.err, /plan\.yaml: assets\.0\.schedule\.every: must be a duration/);
});
