import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePorts } from '../../src/stack/ports';
import type { BackupResult } from '../../src/contracts/types';
import { startStack, type TestStack } from '../helpers/stack';
import { writeRandomFile } from '../helpers/tree-fixture';

const DEPLOY = path.join(__dirname, '..', '..', '..', 'deploy');
let stack: TestStack;
let port: number;
let sdkPort: number;

before(async () => {
  stack = await startStack({ packSizeMiB: 4 });
  const src = path.join(stack.dir, 'models');
  fs.mkdirSync(src);
  writeRandomFile(path.join(src, 'ckpt.bin'), 2 * 1024 * 1024, 3);
  fs.writeFileSync(stack.planFile, fs.readFileSync(stack.planFile, 'utf8').replace('assets: []', `assets:\n  - name: models\n    source: ${src}\n`));
  [port, sdkPort] = await freePorts(2);
  stack.env.LEPTON_DR_METRICS_PORT = String(port);
  stack.env.LEPTON_DR_SDK_METRICS_PORT = String(sdkPort);
  stack.startWorker();
});
after(async () => {
  await stack?.stop();
});

const run = async <T>(type: string, input: unknown, id: string): Promise<T> =>
  (await stack.client.workflow.execute(type, { taskQueue: stack.taskQueue, workflowId: id, args: [input] })) as T;

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('the worker exports backup, RPO-age and verify series that Prometheus can scrape', { timeout: 120_000 }, async () => {
  const b = await run<BackupResult>('backupWorkflow', { asset: 'models' }, 'met-backup');
  await run('verifyWorkflow', { readData: 1 }, 'met-verify');
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  assert.equal(sample(text, 'lepton_dr_backups_total', '{asset="models"}'), 1);
  assert.ok((sample(text, 'lepton_dr_backup_uploaded_bytes_total', '{asset="models"}') ?? 0) >= 2 * 1024 * 1024);
  assert.equal(sample(text, 'lepton_dr_backup_files', '{asset="models"}'), 1);
  assert.equal(
    sample(text, 'lepton_dr_snapshot_newest_timestamp_seconds', '{asset="models"}'),
    Date.parse(b.time) / 1000,
    'RPO age counts from the snapshot time',
  );
  assert.equal(sample(text, 'lepton_dr_verify_errors'), 0);
  assert.ok((sample(text, 'lepton_dr_verify_last_run_timestamp_seconds') ?? 0) > Date.now() / 1000 - 120);
  assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
  // the Temporal SDK's own series, from the runtime's Prometheus exporter
  assert.match(await (await fetch(`http://127.0.0.1:${sdkPort}/metrics`)).text(), /^temporal_\w+/m);

  // every series the example rules and the dashboard use is one the worker or the bridge exports
  const bridge = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'bridge', 'metrics.js'), 'utf8');
  const exported = (name: string) => text.includes(`# TYPE ${name} `) || bridge.includes(`'${name}'`);
  const used = (file: string) => [...new Set(fs.readFileSync(file, 'utf8').match(/lepton_dr_[a-z_]+/g) ?? [])];
  for (const f of [path.join(DEPLOY, 'prometheus', 'lepton-dr-rules.yml'), path.join(DEPLOY, 'grafana', 'lepton-dr-dashboard.json')]) {
    const unknown = used(f).filter((n) => !exported(n));
    assert.deepEqual(unknown, [], `${path.basename(f)} uses series nobody exports`);
  }
});

test('the example alert rules pass promtool, and their unit tests fire on missed objectives', () => {
  const dir = path.join(DEPLOY, 'prometheus');
  const check = spawnSync('promtool', ['check', 'rules', 'lepton-dr-rules.yml'], { cwd: dir, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const unit = spawnSync('promtool', ['test', 'rules', 'lepton-dr-rules.test.yml'], { cwd: dir, encoding: 'utf8' });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  JSON.parse(fs.readFileSync(path.join(DEPLOY, 'grafana', 'lepton-dr-dashboard.json'), 'utf8'));
});
