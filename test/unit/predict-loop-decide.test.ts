import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlertmanagerPayloadSchema } from '../../src/bridge/alertmanager-payload';
import { bearerMatches, loadToken } from '../../src/bridge/auth';
import { renderMetrics } from '../../src/bridge/metrics';
import {
  busyFraction,
  decisionPolicyOf,
  isModelVersion,
  limitsFor,
  logSeriesKey,
  modelVersionAt,
  parsePredictionConfig,
  querySeriesKey,
} from '../../src/predict';
import { alertmanagerAlerts, headline, slackPayload, type WarningEvent } from '../../src/predict/sinks/warning-sinks';
import {
  addDuty,
  applyAlerts,
  combineRisk,
  cooldownSlot,
  decideStep,
  dutyFraction,
  EMPTY_ALERT_BOOK,
  INITIAL_WARNING_STATE,
  LiveAlertBook,
  MAX_ACTIVE_ALERTS,
  MAX_SEEN_ALERT_KEYS,
  newDutyWindow,
  rerateAlerts,
  type AlertBook,
  type WarningState,
} from '../../src/workflows/prediction-decide';
import { applyPolicyPatch, DecisionPolicySchema, PolicyPatchSchema, type DecisionPolicy } from '../../src/contracts/prediction-inputs';
import type { PredictionStatus } from '../../src/contracts/prediction-messages';
import type { ActiveAlert } from '../../src/contracts/prediction-types';
import { desiredSchedules } from '../../src/cli/schedule-specs';
import { PlanSchema } from '../../src/config/plan-schema';

const policy = (o: Record<string, unknown> = {}): DecisionPolicy => DecisionPolicySchema.parse({ cooldownMs: 60_000, repeatMs: 0, clearAfter: 2, ...o });

/** Runs risks through decideStep one second apart; returns the notifications and the final state. */
function run(risks: number[], p: DecisionPolicy, start = 1_000_000, stepMs = 1000) {
  let s: WarningState = INITIAL_WARNING_STATE;
  const notes: string[] = [];
  let backups = 0;
  let failovers = 0;
  risks.forEach((r, i) => {
    const d = decideStep(s, r, start + i * stepMs, p);
    s = d.state;
    if (d.notify) notes.push(`${i}:${d.notify.kind}:${d.notify.level}`);
    if (d.backup) backups++;
    if (d.failover) failovers++;
  });
  return { s, notes, backups, failovers };
}

test('levels rise at the thresholds and fall only below threshold - hysteresis, after clearAfter iterations', () => {
  const p = policy({ preemptiveBackup: { assets: ['a'], cooldownMs: 3_600_000 } });
  const r = run([0.1, 0.55, 0.45, 0.42, 0.39, 0.38, 0.1], p);
  // 0.45 and 0.42 are within the hysteresis band of warn (0.5 - 0.1): the level holds
  assert.deepEqual(r.notes, ['1:raise:warn']);
  assert.equal(r.s.level, 'ok');
  assert.equal(r.s.suppressed, 1, 'the resolution is held back by the cooldown (60 s)');
  const later = decideStep(r.s, 0.1, 1_000_000 + 61_000, p);
  assert.deepEqual(later.notify, { kind: 'resolved', level: 'ok', from: 'warn' });
  // escalation goes out at once, whatever the cooldown
  const e = run([0.6, 0.85, 0.97], p);
  assert.deepEqual(e.notes, ['0:raise:warn', '1:raise:high', '2:raise:critical']);
  assert.equal(e.backups, 1, 'one backup per action cooldown');
  assert.equal(e.failovers, 1);
});

test('a flapping signal gives one warning and, once it settles, one resolution', () => {
  const p = policy({ clearAfter: 1 });
  const flapping = Array.from({ length: 50 }, (_, i) => (i % 4 < 2 ? 0.7 : 0.2));
  const r = run([...flapping, ...new Array(70).fill(0.1)], p);
  assert.deepEqual(r.notes, ['0:raise:warn', '60:resolved:ok'], 'the resolution waits for the cooldown (60 s) after the warning');
  assert.ok(r.s.suppressed > 5);
  // raiseAfter filters single spikes
  const spikes = run([0.1, 0.9, 0.1, 0.9, 0.1], policy({ raiseAfter: 2 }));
  assert.deepEqual(spikes.notes, []);
});

test('repeat re-notifies a persisting level; actions respect their cooldowns and the failover policy', () => {
  const r = run(new Array(10).fill(0.9), policy({ repeatMs: 4000, preemptiveBackup: { assets: ['a'], cooldownMs: 5000 } }));
  assert.deepEqual(r.notes, ['0:raise:high', '4:repeat:high', '8:repeat:high']);
  assert.equal(r.backups, 2);
  assert.equal(run([0.99, 0.99], policy({ failover: 'off' })).failovers, 0);
  assert.equal(run([0.99, 0.99], policy()).backups, 0, 'no assets, no backups');
  assert.equal(cooldownSlot(3_600_000 * 5 + 10, 3_600_000), 5);
});

test('alerts: deduplicated by fingerprint, status and startsAt; resolved clears; dr_risk and severity rate them', () => {
  const p = policy();
  const firing = {
    status: 'firing' as const,
    fingerprint: 'f1',
    startsAt: '2026-01-01T00:00:00Z',
    labels: { alertname: 'DiskFailing', severity: 'critical' },
    annotations: { summary: 'smart' },
  };
  let a = applyAlerts(EMPTY_ALERT_BOOK, [firing, firing], 1, p);
  assert.equal(a.applied, 1);
  assert.equal(a.duplicates, 1);
  assert.equal(a.book.active.f1.risk, 0.9);
  a = applyAlerts(a.book, [{ ...firing, fingerprint: 'f2', labels: { alertname: 'X', dr_risk: '0.42' } }], 2, p);
  assert.equal(a.book.active.f2.risk, 0.42);
  const c = combineRisk({ risk: 0.3, reasons: [{ source: 'disk', detector: 'trend', score: 0.3, message: 'm' }] }, a.book);
  assert.equal(c.risk, 0.9);
  assert.deepEqual(
    c.reasons.map((x) => x.source),
    ['alert:DiskFailing', 'alert:X', 'disk'],
  );
  // re-rating after a policy change keeps explicit risks
  const rr = rerateAlerts(a.book, policy({ alertRisk: { critical: 0.99 } }));
  assert.equal(rr.active.f1.risk, 0.99);
  assert.equal(rr.active.f2.risk, 0.42);
  // resolved clears; a resolution of an older firing does not clear a newer one
  a = applyAlerts(a.book, [{ ...firing, status: 'resolved' }], 3, p);
  assert.equal(a.book.active.f1, undefined);
  const newer = applyAlerts(a.book, [{ ...firing, startsAt: '2026-01-02T00:00:00Z' }], 4, p);
  const stale = applyAlerts(newer.book, [{ ...firing, status: 'resolved', startsAt: '2026-01-01T12:00:00Z' }], 5, p);
  assert.ok(stale.book.active.f1);
  assert.equal(stale.book.received, 6);
});

test('alerts: a signal applied to a full book touches only its own entries (the loop kept up at 100 deliveries/s)', () => {
  const p = policy();
  const alert = (i: number) => ({
    status: 'firing' as const,
    fingerprint: `f${i}`,
    startsAt: '2026-01-01T00:00:00Z',
    labels: { alertname: `A${i % 7}`, severity: 'warning' },
    annotations: {},
  });
  const live = new LiveAlertBook({ active: {}, seen: [], received: 0, duplicates: 0 });
  for (let i = 0; i < MAX_SEEN_ALERT_KEYS; i++) live.apply([alert(i)], i, p);
  // the same deliveries through the pure form give the same book, in the same order
  let pure: AlertBook = EMPTY_ALERT_BOOK;
  for (let i = 0; i < MAX_SEEN_ALERT_KEYS; i++) pure = applyAlerts(pure, [alert(i)], i, p).book;
  assert.deepEqual(Object.keys(live.book.active), Object.keys(pure.active));
  assert.deepEqual(live.book, pure);

  // count what one more signal reads of the book: a copy or a sort of it reads every entry
  let reads = 0;
  const counted = new Proxy(live.book.active, {
    get: (t, k, r) => (reads++, Reflect.get(t, k, r)),
    getOwnPropertyDescriptor: (t, k) => (reads++, Reflect.getOwnPropertyDescriptor(t, k)),
  });
  const book: AlertBook = Object.assign(live.book, { active: counted as Record<string, ActiveAlert> });
  const again = new LiveAlertBook(book);
  reads = 0;
  const r = again.apply([alert(MAX_SEEN_ALERT_KEYS)], MAX_SEEN_ALERT_KEYS, p);
  assert.equal(r.applied, 1);
  assert.ok(reads <= 4, `one signal read ${reads} entries of a book of ${MAX_ACTIVE_ALERTS}`);
  assert.equal(Object.keys(book.active).length, MAX_ACTIVE_ALERTS, 'the oldest alert was evicted');
  assert.equal(book.active[`f${MAX_SEEN_ALERT_KEYS - MAX_ACTIVE_ALERTS}`], undefined);
  assert.ok(book.active[`f${MAX_SEEN_ALERT_KEYS}`]);
  assert.equal(book.seen.length, MAX_SEEN_ALERT_KEYS);
  assert.equal(again.apply([alert(MAX_SEEN_ALERT_KEYS)], MAX_SEEN_ALERT_KEYS + 1, p).duplicates, 1);
});

test('alerts: a carried book out of received order is put in order once, so eviction takes the oldest', () => {
  const p = policy();
  const held = (fp: string, receivedAt: number): ActiveAlert => ({
    fingerprint: fp,
    name: fp,
    severity: '',
    explicitRisk: null,
    risk: 0.5,
    startsAt: '2026-01-01T00:00:00Z',
    summary: '',
    receivedAt,
  });
  const active: Record<string, ActiveAlert> = {};
  for (let i = 0; i < MAX_ACTIVE_ALERTS; i++) active[`f${i}`] = held(`f${i}`, i === 0 ? 10_000 : i);
  const live = new LiveAlertBook({ active, seen: [], received: 0, duplicates: 0 });
  live.apply([{ status: 'firing', fingerprint: 'new', startsAt: '2026-01-01T00:00:00Z', labels: {}, annotations: {} }], 20_000, p);
  assert.ok(live.book.active.f0, 'f0 was refreshed last: it stays');
  assert.equal(live.book.active.f1, undefined, 'f1 is the oldest: evicted');
});

test('duty cycles: sliding buckets and interval unions', () => {
  let w = newDutyWindow(0, 60_000, 60);
  w = addDuty(w, 10_000, 500);
  w = addDuty(w, 20_000, 500);
  assert.equal(dutyFraction(w, 20_000), 1000 / 20_000);
  assert.equal(dutyFraction(w, 60_000), 1000 / 60_000);
  assert.equal(dutyFraction(w, 75_000), 500 / 60_000, 'the first bucket left the window');
  assert.equal(dutyFraction(w, 500_000), 0);
  assert.equal(
    busyFraction(
      [
        { start: 0, end: 10 },
        { start: 5, end: 20 },
        { start: 30, end: null },
      ],
      0,
      40,
    ),
    30 / 40,
  );
  assert.equal(busyFraction([{ start: -100, end: 5 }], 0, 10), 0.5);
});

test('policy patches are validated field by field and keep thresholds ordered', () => {
  const base = policy();
  const bad = PolicyPatchSchema.safeParse({ thresholds: { warn: 2 }, cooldownMs: 'later', failover: 'x', extra: 1 });
  assert.equal(bad.success, false);
  const msg = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  assert.match(msg, /thresholds\.warn: must be between 0 and 1/);
  assert.match(msg, /cooldownMs: must be milliseconds or a duration/);
  assert.match(msg, /failover: must be 'request', 'recommendOnly' or 'off'/);
  assert.match(msg, /Unrecognized key\(s\) in object: 'extra'/);
  const r = applyPolicyPatch(base, PolicyPatchSchema.parse({ thresholds: { critical: 0.7 } }));
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /thresholds\.critical: must be above thresholds\.high \(0\.8\)/);
  const ok = applyPolicyPatch(base, PolicyPatchSchema.parse({ thresholds: { warn: 0.3 }, intervalMs: '30s', preemptiveBackup: { assets: ['m'] } }));
  assert.ok(ok.ok);
  assert.equal((ok as { policy: DecisionPolicy }).policy.intervalMs, 30_000);
  assert.deepEqual((ok as { policy: DecisionPolicy }).policy.preemptiveBackup, { assets: ['m'], cooldownMs: 3_600_000 });
});

test('site config: defaults, named errors, series keys and limits', () => {
  const c = parsePredictionConfig({
    prometheus: { url: 'http://127.0.0.1:9090' },
    queries: [{ name: 'disk', query: 'up', limit: { limit: 0.9, leadTime: '2h' } }],
    pushed: [{ series: 'q', limit: { limit: 5, direction: 'down' } }],
  });
  assert.equal(c.interval, 60_000);
  assert.equal(c.step, 60_000);
  const p = decisionPolicyOf(c);
  assert.deepEqual(p.thresholds, { warn: 0.5, high: 0.8, critical: 0.95 });
  assert.equal(p.failover, 'request');
  assert.deepEqual(Object.keys(limitsFor(c, ['disk{host="a"}', 'q', 'other'])), ['disk{host="a"}', 'q']);
  assert.equal(limitsFor(c, ['disk'])['disk'].leadTimeMs, 7_200_000);
  assert.equal(querySeriesKey('disk', { __name__: 'x', host: 'a', dev: 'b' }), 'disk{dev="b",host="a"}');
  assert.equal(querySeriesKey('disk', {}), 'disk');
  assert.equal(logSeriesKey('kern', 'gpu_xid'), 'log_gpu_xid{source="kern"}');
  assert.throws(
    () => parsePredictionConfig({ queries: [{ name: 'a', query: 'up' }] }, 'plan: sites.0.prediction'),
    /invalid plan: sites\.0\.prediction: prometheus: is required when "queries" are given/,
  );
  assert.throws(
    () => parsePredictionConfig({ thresholds: { warn: 0.9, high: 0.8, critical: 0.95 } }, 'p'),
    /invalid p\.thresholds\.high: must be above thresholds\.warn/,
  );
  assert.throws(
    () => parsePredictionConfig({ policy: { preemptiveBackup: { cooldown: '1x' } } }, 'p'),
    /policy\.preemptiveBackup\.cooldown: must be milliseconds/,
  );
  assert.throws(() => parsePredictionConfig({ sinks: { webhook: { url: 'ftp://x' } } }, 'p'), /sinks\.webhook\.url: must be an http/);
  assert.throws(() => parsePredictionConfig({ tresholds: {} }, 'p'), /Unrecognized key\(s\) in object: 'tresholds'/);
});

test('model versions sort by time', () => {
  const a = modelVersionAt(Date.UTC(2026, 0, 2, 3, 4, 5, 6), 'ABCDEF0123');
  assert.equal(a, 'v20260102T030405006Z-abcdef01');
  assert.ok(isModelVersion(a));
  const b = modelVersionAt(Date.UTC(2026, 0, 2, 3, 4, 5, 7), '00');
  assert.ok(a < b);
});

const ev: WarningEvent = {
  origin: 'prediction',
  site: 'eu',
  kind: 'raise',
  level: 'high',
  from: 'warn',
  risk: 0.87,
  reasons: [{ source: 'disk_used', detector: 'trend/time-to-limit', score: 0.87, message: 'disk_used forecast to reach 0.95', etaMs: 7_200_000 }],
  at: '2026-01-01T00:00:00.000Z',
  since: '2026-01-01T00:00:00.000Z',
  workflowId: 'predict-eu',
  modelVersion: 'v1',
  actions: ['backup of m started (preemptive-eu-m-1)'],
};

test('sinks: Slack-compatible webhook body and Alertmanager v2 alerts', () => {
  assert.equal(headline(ev), '[HIGH] site eu: risk 0.87 - disk_used forecast to reach 0.95 (in 2h)');
  const s = slackPayload(ev) as { text: string; attachments: { fields: { title: string }[] }[]; lepton: WarningEvent };
  assert.match(s.text, /^:rotating_light: \[HIGH\] site eu/);
  assert.ok(s.attachments[0].fields.some((f) => f.title === 'Actions'));
  assert.deepEqual(s.lepton, ev);
  const a = alertmanagerAlerts(ev, 900_000) as { labels: Record<string, string>; endsAt: string }[];
  assert.equal(a.length, 2);
  assert.deepEqual(a[0].labels, { alertname: 'LeptonDrPredictedRisk', dr_site: 'eu', severity: 'high', lepton_dr_source: 'prediction' });
  assert.equal(a[0].endsAt, '2026-01-01T00:15:00.000Z');
  assert.equal(a[1].labels.severity, 'warn');
  assert.equal(a[1].endsAt, ev.at, 'the previous level ends now');
  const resolved = alertmanagerAlerts({ ...ev, kind: 'resolved', level: 'ok', from: 'high' }, 900_000) as { labels: Record<string, string>; endsAt: string }[];
  assert.deepEqual(
    resolved.map((x) => [x.labels.severity, x.endsAt]),
    [['high', ev.at]],
  );
});

test('bridge: bearer tokens compare in constant time; tokens must be long; payload v4 parses', () => {
  assert.ok(bearerMatches('Bearer 0123456789abcdef', '0123456789abcdef'));
  assert.ok(bearerMatches('bearer   0123456789abcdef ', '0123456789abcdef'));
  assert.ok(!bearerMatches('Bearer 0123456789abcdeX', '0123456789abcdef'));
  assert.ok(!bearerMatches(undefined, '0123456789abcdef'));
  assert.ok(!bearerMatches('Basic 0123456789abcdef', '0123456789abcdef'));
  assert.throws(() => loadToken({ env: 'T' }, {}), /environment variable T is not set/);
  assert.throws(() => loadToken({ env: 'T' }, { T: 'short' }), /at least 16 characters/);
  assert.equal(loadToken({ env: 'T' }, { T: ' 0123456789abcdef\n' }), '0123456789abcdef');
  // a notification as Alertmanager 0.25 sends it
  const sample = {
    receiver: 'bridge',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'DiskFailing', dr_site: 'edge' },
        annotations: {},
        startsAt: '2026-11-27T05:47:16.99012345+01:00',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: 'a1b2c3d4e5f60718',
      },
    ],
    groupLabels: { alertname: 'DiskFailing' },
    commonLabels: { alertname: 'DiskFailing', dr_site: 'edge' },
    commonAnnotations: {},
    externalURL: 'http://host:9093',
    version: '4',
    groupKey: '{}:{alertname="DiskFailing"}',
    truncatedAlerts: 0,
  };
  assert.ok(AlertmanagerPayloadSchema.safeParse(sample).success);
});

test('the bridge spells every alert time one way, so a repeated delivery keys and compares as the same instant', () => {
  const base = { status: 'firing', labels: { alertname: 'A' }, annotations: {}, endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'f1' };
  const envelope = {
    receiver: 'bridge',
    status: 'firing',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: '',
    version: '4',
    groupKey: '{}',
    truncatedAlerts: 0,
  };
  const at = (startsAt: string) => AlertmanagerPayloadSchema.parse({ ...envelope, alerts: [{ ...base, startsAt }] }).alerts[0].startsAt;
  // Go drops a fraction's trailing zeros; JavaScript keeps three digits; an offset is the same instant
  for (const spelling of ['2026-12-01T19:40:05.12Z', '2026-12-01T19:40:05.120Z', '2026-12-01T20:40:05.120+01:00', '2026-12-01T19:40:05.120000000Z'])
    assert.equal(at(spelling), '2026-12-01T19:40:05.120Z', spelling);
  assert.ok(at('2026-12-01T19:40:05.121Z') > at('2026-12-01T20:40:05.120+01:00'), 'later instants compare later whatever the offset');
  assert.equal(AlertmanagerPayloadSchema.safeParse({ ...envelope, alerts: [{ ...base, startsAt: 'yesterday' }] }).success, false);
});

test('bridge /metrics renders the Prometheus text format', () => {
  const st = {
    risk: 0.5,
    modelRisk: 0.25,
    level: 'warn',
    paused: false,
    duty: { windowMs: 3_600_000, backup: null, prediction: 0.001 },
    warningsSent: 3,
    suppressed: 1,
    iteration: 9,
    errors: 0,
    alerts: [],
    alertStats: { received: 1, duplicates: 0 },
    lastIterationMs: 12,
  } as unknown as PredictionStatus;
  const text = renderMetrics(
    [
      { site: 'a"b', status: st },
      { site: 'down', status: null },
    ],
    { webhooks: { ok: 2 }, alerts: {}, pushes: {} },
  );
  assert.match(text, /^lepton_dr_prediction_up\{site="a\\"b"\} 1$/m);
  assert.match(text, /^lepton_dr_prediction_up\{site="down"\} 0$/m);
  assert.match(text, /^lepton_dr_prediction_level\{site="a\\"b"\} 1$/m);
  assert.doesNotMatch(text, /lepton_dr_duty_cycle_backup\{/);
  assert.match(text, /^lepton_dr_duty_cycle_prediction\{site="a\\"b"\} 0\.001$/m);
  assert.match(text, /^lepton_dr_prediction_last_iteration_seconds\{site="a\\"b"\} 0\.012$/m);
  assert.match(text, /^lepton_dr_bridge_webhooks_total\{result="ok"\} 2$/m);
});

test('a training schedule per site with prediction.training.schedule', () => {
  const plan = PlanSchema.parse({
    repository: { url: 'file:///tmp/r' },
    sites: [
      { name: 'eu', prediction: { training: { schedule: { every: '24h' } } } },
      { name: 'us', prediction: {} },
    ],
  });
  const s = desiredSchedules(plan).filter((x) => x.scheduleId.startsWith('lepton-train-'));
  assert.deepEqual(
    s.map((x) => x.scheduleId),
    ['lepton-train-eu'],
  );
  const action = s[0].action as { workflowType: string; workflowId: string; args: unknown[] };
  assert.equal(action.workflowType, 'trainingWorkflow');
  assert.equal(action.workflowId, 'train-eu');
  assert.deepEqual(action.args, [{ site: 'eu', reason: 'schedule' }]);
  const bad = PlanSchema.parse({ repository: { url: 'file:///tmp/r' }, sites: [{ name: 'eu', prediction: { training: { schedule: { every: 'daily' } } } }] });
  assert.throws(() => desiredSchedules(bad), /plan: sites\.0\.prediction: training\.schedule\.every: must be a duration/);
});
