import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DurationMsSchema, formatIssues, NameSchema } from '../../src/common/schema-primitives';
import { NameSchema as PlanName } from '../../src/config/plan-schema';
import { DurationMs as PolicyDuration } from '../../src/config/prediction-policy';
import { ApprovalSchema } from '../../src/failover/site-schema';
import { FailoverInputSchema } from '../../src/contracts/failover-inputs';
import { BackupInputSchema } from '../../src/contracts/inputs';
import { PredictionInputSchema } from '../../src/contracts/prediction-inputs';

test('one duration parser: what the plan accepts, a failover override accepts too ("1d")', () => {
  assert.equal(ApprovalSchema.parse({ timeout: '1d' }).timeoutMs, 86_400_000);
  assert.equal(FailoverInputSchema.parse({ site: 'eu', approval: { timeout: '1d' } }).approval?.timeout, 86_400_000);
  assert.equal(PolicyDuration.parse('1d'), 86_400_000);
  assert.equal(DurationMsSchema.parse(1500), 1500);
  for (const s of [PolicyDuration, DurationMsSchema]) assert.equal(s.safeParse('1 day').success, false);
});

test('one name rule and one issue format, whichever input names it', () => {
  assert.equal(PlanName, NameSchema);
  const msgs = [
    formatIssues(BackupInputSchema.safeParse({ asset: '../etc' }).error!),
    formatIssues(FailoverInputSchema.safeParse({ site: '../etc' }).error!),
    formatIssues(PredictionInputSchema.safeParse({ site: '../etc' }).error!),
  ];
  assert.deepEqual(msgs, [
    'asset: must be letters, digits, ".", "_" or "-", starting with a letter or digit',
    'site: must be letters, digits, ".", "_" or "-", starting with a letter or digit',
    'site: must be letters, digits, ".", "_" or "-", starting with a letter or digit',
  ]);
});
