import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackupInputSchema, formatIssues, RestoreInputSchema } from '../../src/contracts/inputs';

const issues = (r: { success: boolean; error?: Parameters<typeof formatIssues>[0] }) =>
  r.success ? '' : formatIssues(r.error as Parameters<typeof formatIssues>[0]);

test('the documented UI inputs are accepted', () => {
  assert.ok(BackupInputSchema.safeParse({ asset: 'checkpoints' }).success);
  assert.ok(RestoreInputSchema.safeParse({ asset: 'checkpoints', target: '/srv/restore' }).success);
  assert.ok(RestoreInputSchema.safeParse({ snapshot: '1a2b3c4d', target: '/srv/restore' }).success);
  assert.ok(RestoreInputSchema.safeParse({ asset: 'a', before: '2026-11-27T10:00:00Z', target: '/t' }).success);
});

test('bad inputs name the field', () => {
  assert.match(issues(BackupInputSchema.safeParse({ asset: 'x', colour: 1 })), /Unrecognized key\(s\) in object: 'colour'/);
  assert.match(issues(BackupInputSchema.safeParse({ asset: 'x', strategy: 'sometimes' })), /^strategy: /);
  assert.match(issues(BackupInputSchema.safeParse({ asset: 'x', source: 'rel' })), /^source: must be an absolute path/);
  assert.match(issues(RestoreInputSchema.safeParse({ target: '/t' })), /^asset: give "asset"/);
  assert.match(issues(RestoreInputSchema.safeParse({ asset: 'a', snapshot: 'xyz', target: '/t' })), /^snapshot: must be "latest" or a snapshot id/);
  assert.match(issues(RestoreInputSchema.safeParse({ snapshot: 'abcd', before: '2026-11-27T10:00:00Z', target: '/t' })), /^before: /);
});
