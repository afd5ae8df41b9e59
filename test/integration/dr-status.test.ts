import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createFailoverActivities } from '../../src/activities/failover-activities';
import { renderReadiness } from '../../src/cli/failover-format';
import { parsePlan } from '../../src/config/load-plan';
import { Repository } from '../../src/engine/repo/repository';
import { FsStore } from '../../src/engine/store/fs-store';

let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-status-'))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a site with only a prediction section gets a proper status row, with its loop', async () => {
  const repoDir = path.join(dir, 'repo');
  const plan = parsePlan(
    {
      version: 1,
      repository: { url: pathToFileURL(repoDir).href, keyFile: path.join(dir, 'k') },
      sites: [{ name: 'eu-west', prediction: { interval: '1m', pushed: [{ series: 'disk_used' }] } }],
    },
    path.join(dir, 'plan.yaml'),
  );
  const repo = await Repository.open(new FsStore(repoDir), Buffer.alloc(32, 1), { create: true });
  const acts = createFailoverActivities({ plan, repo });
  const rows = await new MockActivityEnvironment().run(acts.drStatus, {});
  assert.deepEqual(rows, [{ site: 'eu-west', predictionOnly: true, snapshots: [] }]);
  const text = renderReadiness(rows, {}, { 'eu-west': { level: 'warn', risk: 0.62, iteration: 41, paused: false } });
  assert.match(text, /^eu-west: PREDICTION ONLY/);
  assert.match(text, /failover\s+not configured/);
  assert.match(text, /prediction loop\s+warn \(risk 0\.62, iteration 41\)/);
  assert.doesNotMatch(text, /INVALID|NOT READY/);
  assert.match(renderReadiness(rows, {}, { 'eu-west': null }), /prediction loop\s+not running/);
});
