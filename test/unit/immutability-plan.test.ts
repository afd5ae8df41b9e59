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

test('immutability and append-only settings load, with compliance as the default mode', () => {
  const p = loadPlanFile(writePlan('repository: { url: s3://bucket/repo, immutability: { retention: 30d }, appendOnly: true }'), {});
  assert.deepEqual(p.repository.immutability, { retention: '30d', mode: 'compliance' });
  assert.equal(p.repository.appendOnly, true);
  const g = loadPlanFile(writePlan('repository: { url: s3://bucket/repo, immutability: { retention: 12h, mode: governance } }'), {});
  assert.equal(g.repository.immutability?.mode, 'governance');
  assert.equal(g.repository.appendOnly, undefined, 'append-only is off unless asked for');
});

test('bad immutability settings are refused naming the field', () => {
  const cases: [string, RegExp][] = [
    ['repository: { url: s3://b/r, immutability: { retention: 30 } }', /repository\.immutability\.retention: Expected string/],
    ['repository: { url: s3://b/r, immutability: { retention: 1month } }', /repository\.immutability\.retention: must be a duration/],
    ['repository: { url: s3://b/r, immutability: { retention: 500ms } }', /repository\.immutability\.retention: must be at least "1s"/],
    ['repository: { url: s3://b/r, immutability: { retention: 30d, mode: strict } }', /repository\.immutability\.mode: Invalid enum value/],
    [
      'repository: { url: s3://b/r, immutability: { retention: 30d, legalHold: true } }',
      /repository\.immutability: Unrecognized key\(s\) in object: 'legalHold'/,
    ],
    ['repository: { url: s3://b/r, immutability: {} }', /repository\.immutability\.retention: Required/],
    ['repository: { url: "file:///srv/repo", immutability: { retention: 30d } }', /repository\.immutability: needs an s3:\/\/ repository/],
    ['repository: { url: s3://b/r, appendOnly: yes please }', /repository\.appendOnly: Expected boolean/],
    [
      'repository: { url: s3://b/r }\ncopyTargets: [{ name: dr, url: "file:///srv/dr", immutability: { retention: 1d } }]',
      /copyTargets\.0\.immutability: needs an s3:\/\/ repository/,
    ],
  ];
  for (const [text, re] of cases) {
    const f = writePlan(text);
    assert.throws(
      () => loadPlanFile(f, {}),
      (e: Error) => re.test(e.message) || assert.fail(`${text}\n-> ${e.message}`),
    );
  }
});
