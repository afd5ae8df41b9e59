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
    assert.throws(
      () => loadPlanFile(f, {}),
      (e: Error) => e.message.includes(f) && re.test(e.message),
      `${text} -> ${re}`,
    );
  }
});

test('asset hooks: command and HTTP actions, cwd relative to the plan, bad fields named', () => {
  const f = writePlan(`
repository: { url: s3://bucket/prefix }
assets:
  - name: checkpoints
    source: ./models
    hooks:
      preBackup: { type: command, argv: [/usr/bin/trainerctl, flush], cwd: ./ops, timeoutMs: 30000 }
      postBackup: { type: http, url: "http://127.0.0.1:9/resume", headers: { authorization: "Bearer \${TRAINER_TOKEN}" }, expectStatus: [200, 204] }
`);
  const p = loadPlanFile(f, { TRAINER_TOKEN: 'tok-123456' });
  const hooks = p.assets[0].hooks!;
  assert.equal(hooks.preBackup?.type === 'command' && hooks.preBackup.cwd, path.join(path.dirname(f), 'ops'));
  assert.equal(hooks.postBackup?.type === 'http' && hooks.postBackup.headers.authorization, 'Bearer tok-123456');
  assert.throws(
    () =>
      loadPlanFile(
        writePlan(
          `repository: { url: s3://bucket/prefix }\nassets:\n  - { name: a, source: ., hooks: { preBackup: { type: command, argv: [x], timeoutMs: -1 } } }\n`,
        ),
      ),
    /assets\.0\.hooks\.preBackup\.timeoutMs: /,
  );
  assert.throws(
    () =>
      loadPlanFile(
        writePlan(`repository: { url: s3://bucket/prefix }\nassets:\n  - { name: a, source: ., hooks: { preRestore: { type: command, argv: [x] } } }\n`),
      ),
    /assets\.0\.hooks: Unrecognized key\(s\) in object: 'preRestore'/,
  );
  assert.throws(
    () =>
      loadPlanFile(writePlan(`repository: { url: s3://bucket/prefix }\nassets:\n  - { name: a, source: ., hooks: { postBackup: { type: shell, cmd: x } } }\n`)),
    /assets\.0\.hooks\.postBackup\.type: must be an action with type 'http'/,
  );
});
