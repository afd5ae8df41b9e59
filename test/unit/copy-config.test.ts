import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadPlanFile } from '../../src/config/load-plan';
import { DEFAULT_PACK_SIZE_MIB } from '../../src/engine/repo/pack';
import { formatIssues } from '../../src/common/schema-primitives';
import { openCopyTarget } from '../../src/worker/open-copy-target';
import { CopyInputSchema } from '../../src/contracts/copy-inputs';

function writePlan(text: string): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-copy-plan-')), 'plan.yaml');
  fs.writeFileSync(f, text);
  return f;
}

const BASE = 'repository: { url: s3://main/repo, keyFile: main.key }\n';

test('copy targets load with the repository defaults; key and password files resolve against the plan folder', () => {
  const f = writePlan(
    `${BASE}copyTargets:\n  - { name: east, url: s3://east/replica, endpoint: http://127.0.0.1:9100, keyFile: keys/east.key, passwordFile: east.pw, accessKeyIdEnv: EAST_ID, secretAccessKeyEnv: EAST_SECRET }\n`,
  );
  const p = loadPlanFile(f, {});
  const t = p.copyTargets[0];
  assert.equal(t.keyFile, path.join(path.dirname(f), 'keys/east.key'));
  assert.equal(t.passwordFile, path.join(path.dirname(f), 'east.pw'));
  assert.equal(t.region, 'us-east-1');
  assert.equal(t.packSizeMiB, DEFAULT_PACK_SIZE_MIB);
  assert.deepEqual(loadPlanFile(writePlan(BASE), {}).copyTargets, []);
});

test('a bad copy target names the field', () => {
  const cases: [string, RegExp][] = [
    ['copyTargets: [{ name: east, url: ftp://x }]', /copyTargets\.0\.url: must be "s3:\/\/bucket/],
    ['copyTargets: [{ name: east, url: s3://east/r, accessKeyIdEnv: EAST_ID }]', /copyTargets\.0\.secretAccessKeyEnv: give both/],
    [
      'copyTargets: [{ name: east, url: s3://east/r, accessKeyIdEnv: "not a name", secretAccessKeyEnv: S }]',
      /copyTargets\.0\.accessKeyIdEnv: must be an environment variable name/,
    ],
    ['copyTargets: [{ name: east, url: s3://east/r }, { name: east, url: s3://west/r }]', /copyTargets\.1\.name: duplicate copy target name "east"/],
    ['copyTargets: [{ name: self, url: s3://main/repo }]', /copyTargets\.0\.url: is the main repository itself/],
    ['copyTargets: [{ name: east, url: s3://east/r, secretAccessKey: plain }]', /copyTargets\.0: Unrecognized key\(s\) in object: 'secretAccessKey'/],
  ];
  for (const [text, want] of cases) assert.throws(() => loadPlanFile(writePlan(BASE + text), {}), want, text);
});

test('opening a copy target refuses an unknown name and unset credential variables, naming the field', async () => {
  const p = loadPlanFile(
    writePlan(`${BASE}copyTargets: [{ name: east, url: s3://east/r, keyEnv: EAST_KEY, accessKeyIdEnv: EAST_ID, secretAccessKeyEnv: EAST_SECRET }]\n`),
    {},
  );
  await assert.rejects(openCopyTarget(p, 'west', {}), /target: "west" is not a copy target of the plan \(copyTargets: east\)/);
  await assert.rejects(openCopyTarget(p, 'east', { EAST_SECRET: 's' }), /copyTargets\.east\.accessKeyIdEnv: environment variable EAST_ID is not set/);
});

test('copy workflow input: a target name and snapshot selectors, nothing else', () => {
  assert.deepEqual(CopyInputSchema.parse({ target: 'east' }), { target: 'east', snapshots: 'all-missing' });
  assert.deepEqual(CopyInputSchema.parse({ target: 'east', snapshots: ['3fa9c2d1'] }).snapshots, ['3fa9c2d1']);
  const bad: [unknown, RegExp][] = [
    [{}, /target: must name a copy target/],
    [{ target: 'east', snapshots: [] }, /snapshots: must name at least one snapshot/],
    [{ target: 'east', snapshots: ['xyz'] }, /snapshots\.0: must be a snapshot id or prefix/],
    [{ target: 'east', snapshots: ['3fa9c2d1'], asset: 'models' }, /asset: is only for "latest" or "all-missing"/],
    [{ target: 'east', accessKeyIdEnv: 'X' }, /Unrecognized key\(s\) in object: 'accessKeyIdEnv'/],
  ];
  for (const [input, want] of bad) {
    const r = CopyInputSchema.safeParse(input);
    assert.ok(!r.success, JSON.stringify(input));
    assert.match(formatIssues(r.error), want);
  }
});
