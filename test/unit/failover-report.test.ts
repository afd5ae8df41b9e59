import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  computeRtoRpo,
  FailoverReportSchema,
  formatDuration,
  newReport,
  summarise,
  withFigures,
  type FailoverReport,
  type Incident,
} from '../../src/common/failover-report';

const objectives = { rtoSeconds: 300, rpoSeconds: 3600 };
const incident: Incident = {
  id: 'inc-1',
  site: 'eu',
  mode: 'unplanned',
  reason: 'primary down',
  source: 'alertmanager',
  openedAt: '2025-01-01T12:00:30.000Z',
  occurredAt: '2025-01-01T12:00:00.000Z',
};

describe('failover report: RTO/RPO', () => {
  it('RPO = incident - snapshot, RTO = healthy - incident', () => {
    const f = computeRtoRpo({
      incidentAt: '2025-01-01T12:00:00.000Z',
      snapshotTime: '2025-01-01T11:45:00.000Z',
      healthyAt: '2025-01-01T12:02:30.500Z',
      objectives,
    });
    assert.deepEqual(f, { rpoMs: 15 * 60_000, rtoMs: 150_500, rpoMet: true, rtoMet: true });
  });

  it('accepts Date, epoch ms and ISO strings alike', () => {
    const t = Date.parse('2025-01-01T12:00:00Z');
    const f = computeRtoRpo({ incidentAt: new Date(t), snapshotTime: t - 1000, healthyAt: new Date(t + 2000).toISOString(), objectives });
    assert.equal(f.rpoMs, 1000);
    assert.equal(f.rtoMs, 2000);
  });

  it('misses objectives when over, meets them exactly at the limit', () => {
    const t = Date.parse('2025-01-01T12:00:00Z');
    const at = computeRtoRpo({ incidentAt: t, snapshotTime: t - 3600_000, healthyAt: t + 300_000, objectives });
    assert.equal(at.rpoMet, true);
    assert.equal(at.rtoMet, true);
    const over = computeRtoRpo({ incidentAt: t, snapshotTime: t - 3600_001, healthyAt: t + 300_001, objectives });
    assert.equal(over.rpoMet, false);
    assert.equal(over.rtoMet, false);
  });

  it('floors at zero: a snapshot newer than the incident loses nothing', () => {
    const t = Date.parse('2025-01-01T12:00:00Z');
    const f = computeRtoRpo({ incidentAt: t, snapshotTime: t + 5000, healthyAt: t - 10, objectives });
    assert.equal(f.rpoMs, 0);
    assert.equal(f.rtoMs, 0);
  });

  it('unknown figures are null, not zero', () => {
    const f = computeRtoRpo({ incidentAt: 0, objectives });
    assert.deepEqual(f, { rpoMs: null, rtoMs: null, rpoMet: null, rtoMet: null });
    assert.throws(() => computeRtoRpo({ incidentAt: 'yesterday', objectives }), /not a time: yesterday/);
  });

  it('withFigures uses occurredAt and the oldest restored snapshot', () => {
    let r = newReport(incident, objectives);
    r = withFigures(r, {
      snapshots: [
        { id: 'snap-model', asset: 'model', time: '2025-01-01T11:50:00.000Z' },
        { id: 'snap-config', asset: 'config', time: '2025-01-01T11:30:00.000Z' },
      ],
      healthyAt: '2025-01-01T12:04:00.000Z',
      outcome: 'succeeded',
    });
    assert.equal(r.snapshot?.id, 'snap-config');
    assert.equal(r.rpoMs, 30 * 60_000);
    assert.equal(r.rtoMs, 4 * 60_000);
    assert.deepEqual(r.met, { rpo: true, rto: true });
    assert.doesNotThrow(() => FailoverReportSchema.parse(r));
  });
});

describe('failover report: summary', () => {
  it('formats durations compactly', () => {
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(1234), '1.23s');
    assert.equal(formatDuration(38_240), '38.2s');
    assert.equal(formatDuration(252_000), '4m12s');
    assert.equal(formatDuration(3_600_000), '1h00m');
    assert.equal(formatDuration(100 * 3_600_000), '4d04h');
  });

  it('one line for a success', () => {
    const r = withFigures(
      {
        ...newReport({ ...incident, mode: 'drill' }, objectives),
        steps: [
          { name: 'restore', startedAt: '2025-01-01T12:00:31.000Z', endedAt: '2025-01-01T12:01:00.000Z', status: 'ok', attempts: 1 },
          { name: 'verify', startedAt: '2025-01-01T12:01:00.000Z', endedAt: '2025-01-01T12:01:05.000Z', status: 'ok', attempts: 2 },
        ],
        snapshots: [{ id: '3f2a1c9d0e1f2a3b4c', time: '2025-01-01T11:55:48.000Z' }],
      },
      { healthyAt: '2025-01-01T12:00:38.240Z', outcome: 'succeeded' },
    );
    const line = summarise(r);
    assert.equal(line, 'drill eu: succeeded; snapshot 3f2a1c9d0e1f; RPO 4m12s <= 1h00m, RTO 38.2s <= 5m00s; 2/2 steps ok');
    assert.ok(!line.includes('\n'));
  });

  it('one line for a failure, naming the step and compensations', () => {
    const r: FailoverReport = withFigures(
      {
        ...newReport(incident, objectives),
        steps: [
          { name: 'fence-primary', startedAt: incident.openedAt, status: 'ok', attempts: 1 },
          { name: 'restore-standby', startedAt: incident.openedAt, status: 'failed', attempts: 3, error: 'connect ECONNREFUSED\n 127.0.0.1:8333' },
        ],
        compensations: [
          { name: 'unfence-primary', status: 'ok' },
          { name: 'remove-staging', status: 'failed', error: 'EBUSY' },
        ],
        snapshots: [{ id: 'abc', time: '2025-01-01T10:00:00.000Z' }],
      },
      { outcome: 'failed' },
    );
    assert.equal(
      summarise(r),
      'unplanned eu: failed at restore-standby (connect ECONNREFUSED 127.0.0.1:8333); snapshot abc; RPO 2h00m > 1h00m MISSED, RTO n/a; 1/2 steps ok, 2 compensation(s) (1 FAILED)',
    );
  });

  it('the schema refuses malformed reports', () => {
    const bad = { ...newReport(incident, objectives), outcome: 'maybe' };
    assert.throws(() => FailoverReportSchema.parse(bad), /outcome/);
    assert.throws(() => FailoverReportSchema.parse({ ...newReport(incident, objectives), incident: { ...incident, openedAt: 'noon' } }), /openedAt/);
  });
});
