import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drillScheduleId, desiredSchedules } from '../../src/cli/schedule-specs';
import { PlanSchema } from '../../src/config/plan-schema';
import { newReport, objectiveWarnings, stepDurations, withFigures } from '../../src/common/failover-report';
import { ApprovalDecisionSchema, FailbackInputSchema, FailoverInputSchema, formatIssues, ReportLookupSchema } from '../../src/contracts/failover-inputs';

const refusal = (schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, v: unknown): string => {
  const r = schema.safeParse(v);
  assert.equal(r.success, false, `expected a refusal of ${JSON.stringify(v)}`);
  return formatIssues(r.error as never);
};

describe('failover workflow inputs', () => {
  it('defaults: planned, source ui, empty reason', () => {
    assert.deepEqual(FailoverInputSchema.parse({ site: 'eu' }), { site: 'eu', mode: 'planned', source: 'ui', reason: '' });
  });

  it('refusals name the field', () => {
    assert.match(refusal(FailoverInputSchema, {}), /^site: is required/);
    assert.match(refusal(FailoverInputSchema, { site: 'eu', mode: 'maybe' }), /^mode: must be 'planned', 'unplanned' or 'drill'/);
    assert.match(refusal(FailoverInputSchema, { site: 'eu', snapshot: 'latest!' }), /^snapshot: must be a snapshot id/);
    assert.match(refusal(FailoverInputSchema, { site: 'eu', before: 'yesterday' }), /^before: must be an ISO 8601 time/);
    assert.match(
      refusal(FailoverInputSchema, { site: 'eu', snapshot: 'abcd', before: '2026-01-01T00:00:00Z' }),
      /^before: give "before" or a snapshot id, not both/,
    );
    assert.match(refusal(FailoverInputSchema, { site: 'eu', approval: { timeout: '15 minutes' } }), /^approval\.timeout: must be milliseconds or a duration/);
    assert.match(refusal(FailoverInputSchema, { site: 'eu', faultInjection: { failAt: 'lunch' } }), /^faultInjection\.failAt: Invalid enum value/);
    assert.match(refusal(FailoverInputSchema, { site: 'eu', colour: 'red' }), /Unrecognized key\(s\) in object: 'colour'/);
    assert.match(
      refusal(FailbackInputSchema, { site: 'eu', from: 'standby', snapshot: 'abcd' }),
      /^from: a snapshot or "before" only goes with from: "snapshot"/,
    );
  });

  it('approval timeouts accept durations', () => {
    assert.equal(FailoverInputSchema.parse({ site: 'eu', approval: { timeout: '90s' } }).approval?.timeout, 90_000);
    assert.equal(FailoverInputSchema.parse({ site: 'eu', approval: { timeout: 1500 } }).approval?.timeout, 1500);
  });

  it('approval decisions need an operator', () => {
    assert.match(refusal(ApprovalDecisionSchema, {}), /^operator: is required/);
    assert.match(refusal(ApprovalDecisionSchema, { operator: '   ' }), /^operator: must not be empty/);
    assert.deepEqual(ApprovalDecisionSchema.parse({ operator: ' bob ', comment: 'ok' }), { operator: 'bob', comment: 'ok' });
  });

  it('report lookups take an id or a site', () => {
    assert.match(refusal(ReportLookupSchema, {}), /^id: give a report "id", or a "site"/);
    assert.ok(ReportLookupSchema.safeParse({ site: 'eu', mode: 'drill', successful: true }).success);
  });
});

describe('drill schedules', () => {
  const site = (drill: Record<string, unknown> | undefined) => ({
    name: 'eu',
    primary: { upstream: '127.0.0.1:1' },
    standby: { upstream: '127.0.0.1:2', restore: [{ asset: 'model', targetDir: '/srv/model' }] },
    switcher: { type: 'http', url: 'http://lb/admin', body: '{"to":"{{side}}"}' },
    objectives: { rtoSeconds: 60, rpoSeconds: 600 },
    ...(drill ? { drill } : {}),
  });
  const plan = (sites: unknown[]) =>
    PlanSchema.parse({ repository: { url: 's3://bucket/p' }, assets: [{ name: 'model', source: '/srv/model', schedule: { every: '1h' } }], sites });

  it('one drill schedule per site with drill.schedule, next to the backup schedules', () => {
    const specs = desiredSchedules(plan([site({ targetDir: '/srv/drill', schedule: { cron: '0 3 * * 1' } }), { ...site(undefined), name: 'us' }]));
    assert.deepEqual(
      specs.map((s) => s.scheduleId),
      ['lepton-backup-model', drillScheduleId('eu')],
    );
    const drill = specs[1];
    assert.equal(drill.action.type, 'startWorkflow');
    const a = drill.action as { workflowType: string; workflowId: string; args: unknown[] };
    assert.equal(a.workflowType, 'failoverWorkflow');
    assert.equal(a.workflowId, 'drill-eu');
    assert.deepEqual(a.args, [{ site: 'eu', mode: 'drill', source: 'schedule', reason: 'scheduled drill' }]);
    assert.deepEqual(drill.spec, { cronExpressions: ['0 3 * * 1'] });
  });

  it('an invalid site with a drill schedule is refused by name', () => {
    assert.throws(
      () => desiredSchedules(plan([{ ...site({ targetDir: '/d', schedule: { every: '1d' } }), objectives: undefined }])),
      /sites\.0: objectives: Required/,
    );
  });
});

describe('report helpers', () => {
  const incident = { id: 'i', site: 'eu', mode: 'planned' as const, reason: '', source: 'cli', openedAt: '2026-01-01T00:00:00.000Z' };
  it('objective warnings and step durations', () => {
    let r = newReport(incident, { rtoSeconds: 60, rpoSeconds: 600 });
    r.steps.push({ name: 'restore', startedAt: '2026-01-01T00:00:01.000Z', endedAt: '2026-01-01T00:00:03.500Z', status: 'ok', attempts: 1 });
    r.steps.push({ name: 'switch', startedAt: '2026-01-01T00:00:04.000Z', status: 'running', attempts: 1 });
    r = withFigures(r, { snapshots: [{ id: 's', time: '2025-12-31T23:00:00.000Z' }], healthyAt: '2026-01-01T00:02:00.000Z' });
    assert.deepEqual(stepDurations(r), { restore: 2500 });
    assert.deepEqual(objectiveWarnings(r), ['RTO 2m00s > objective 1m00s', 'RPO 1h00m > objective 10m00s']);
  });
});
