import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { historyFromCliJson } from '../helpers/history-json';

/**
 * Safe upgrades: the histories in test/histories (one of every workflow type, recorded by
 * test/histories/record.ts: a prediction loop across continue-as-new, a failover waiting at its
 * approval gate, ...) replay against the current workflow code. A change that would make
 * workflows already running fail with a non-determinism error fails here, in CI, instead.
 */
const DIR = path.join(__dirname, '..', '..', '..', 'test', 'histories');
const BUNDLE = path.join(__dirname, '..', '..', 'workflow-bundle.js');

test('every recorded workflow history replays against the current workflow code', { timeout: 120_000 }, async () => {
  const ids = JSON.parse(fs.readFileSync(path.join(DIR, 'workflow-ids.json'), 'utf8')) as Record<string, string>;
  const files = fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith('.json') && f !== 'workflow-ids.json')
    .sort();
  assert.ok(files.length >= 10, `histories recorded (${files.length})`);
  const names = new Set(files.map((f) => f.replace(/\.json$/, '')));
  for (const must of ['backup', 'restore', 'prune', 'verify', 'prediction-first-run', 'failover-at-approval', 'drill'])
    assert.ok(names.has(must), `a ${must} history`);
  const histories = files.map((f) => {
    const name = f.replace(/\.json$/, '');
    assert.ok(ids[name], `${name}: its workflow id is recorded`);
    return { workflowId: ids[name], history: historyFromCliJson(JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8'))) };
  });
  const failures: string[] = [];
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: BUNDLE } }, histories)) {
    replayed++;
    if (r.error) failures.push(`${r.workflowId}: ${r.error.message.slice(0, 400)}`);
  }
  assert.equal(replayed, files.length);
  assert.deepEqual(failures, []);
});
