import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadPlanFile } from '../../src/config/load-plan';

function writePlan(text: string): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-plan-')), 'plan.yaml');
  fs.writeFileSync(f, text);
  return f;
}

test('a valid plan loads with defaults, env interpolation and overrides', () => {
  const f = writePlan(`
repository:
  url: s3://bucket/prefix
  endpoint: \${S3_URL:-http://127.0.0.1:9000}
  keyFile: keys/repo.key
assets:
  - name: checkpoints
    source: ./models
    include: ["**/*.safetensors"]
    schedule: { every: 1h }
`);
  const p = loadPlanFile(f, { LEPTON_DR_TASK_QUEUE: 'q2' });
  assert.equal(p.repository.endpoint, 'http://127.0.0.1:9000');
  assert.equal(p.repository.keyFile, path.join(path.dirname(f), 'keys/repo.key'));
  assert.equal(p.assets[0].source, path.join(path.dirname(f), 'models'));
  assert.equal(p.assets[0].strategy, 'incremental');
  assert.equal(p.assets[0].schedule?.overlap, 'skip');
  assert.equal(p.temporal.taskQueue, 'q2');
});

test('a bad plan names the file, the field and the reason', () => {
  const cases: [string, RegExp][] = [
    ['repository: { url: ftp://x }', /repository\.url: must be "s3:\/\/bucket/],
    ['repository: { url: s3://b }\nassets: [{ name: "a b", source: /x }]', /assets\.0\.name: must be letters/],
    ['repository: { url: s3://b }\nassets: [{ name: a, source: /x, strategy: weekly }]', /assets\.0\.strategy: Invalid enum value/],
    ['repository: { url: s3://b }\nassets: [{ name: a, source: /x }, { name: a, source: /y }]', /assets\.1\.name: duplicate asset name "a"/],
    ['repository: { url: s3://b }\nassets: [{ name: a, source: /x, schedule: { every: 1h, cron: "0 * * * *" } }]', /assets\.0\.schedule: give exactly one/],
    ['repository: { url: s3://b, colour: blue }', /repository: Unrecognized key\(s\) in object: 'colour'/],
    ['repository: { url: "${MISSING_VAR}" }', /environment variable MISSING_VAR is not set/],
    ['[1, 2', /not valid YAML/],
  ];
  for (const [text, re] of cases) {
    const f = writePlan(text);
    assert.throws(() => loadPlanFile(f, {}), (e: Error) => e.message.includes(f) && re.test(e.message), `${text} -> ${re}`);
  }
});
