/**
 * The prediction loop's decisions, pure and deterministic (run inside the workflow, unit-tested
 * without a server): risk -> level with hysteresis, notifications rate-limited by a cooldown,
 * actions by policy, monitoring alerts (deduplicated), and sliding-window duty cycles.
 *
 * Levels rise when the risk reaches a threshold for `raiseAfter` iterations and fall when it
 * stays below (threshold - hysteresis) for `clearAfter` iterations. Notifications coalesce: the
 * loop notifies the current level when it differs from the last level notified, at once for an
 * escalation above that level, otherwise (a lower level, resolved) at most once per cooldown; a
 * flapping signal therefore gives one warning and, once it settles, one resolved notification.
 */
import { LEVELS, type DecisionPolicy, type Level, type MonitoringAlert } from '../contracts/prediction-inputs';
import type { ActiveAlert, LoopReason, NotificationKind } from '../contracts/prediction-types';

export const levelIndex = (l: Level): number => LEVELS.indexOf(l);

/** Highest level whose threshold the risk reaches (thresholds lowered by `slack`). */
export function levelOf(risk: number, t: DecisionPolicy['thresholds'], slack = 0): Level {
  if (risk >= t.critical - slack) return 'critical';
  if (risk >= t.high - slack) return 'high';
  if (risk >= t.warn - slack) return 'warn';
  return 'ok';
}

export interface WarningState {
  level: Level;
  /** When the current level was entered (epoch ms). */
  since: number | null;
  /** Consecutive iterations wanting a higher / lower level. */
  up: number;
  down: number;
  notified: { level: Level; at: number | null };
  /** Notifications held back by the cooldown. */
  suppressed: number;
  lastBackupAt: number | null;
  lastFailoverAt: number | null;
}

export const INITIAL_WARNING_STATE: WarningState = {
  level: 'ok',
  since: null,
  up: 0,
  down: 0,
  notified: { level: 'ok', at: null },
  suppressed: 0,
  lastBackupAt: null,
  lastFailoverAt: null,
};

export interface Decision {
  state: WarningState;
  /** Level before this step. */
  from: Level;
  /** The notification to send now, if any. */
  notify: { kind: NotificationKind; level: Level; from: Level } | null;
  /** Start pre-emptive backups now (level >= high and the action cooldown has passed). */
  backup: boolean;
  /** Request a failover now (level critical and the failover cooldown has passed). */
  failover: boolean;
}

/** One decision step. Pure: the same inputs give the same outputs. */
export function decideStep(prev: WarningState, risk: number, now: number, p: DecisionPolicy): Decision {
  const s: WarningState = { ...prev, notified: { ...prev.notified } };
  const from = s.level;
  const cur = levelIndex(s.level);
  const target = levelOf(risk, p.thresholds);
  if (levelIndex(target) > cur) {
    s.down = 0;
    s.up++;
    if (s.up >= p.raiseAfter) {
      s.level = target;
      s.since = now;
      s.up = 0;
    }
  } else {
    s.up = 0;
    const hold = levelOf(risk, p.thresholds, p.hysteresis);
    if (levelIndex(hold) < cur) {
      s.down++;
      if (s.down >= p.clearAfter) {
        s.level = hold;
        s.since = now;
        s.down = 0;
      }
    } else {
      s.down = 0;
    }
  }

  let notify: Decision['notify'] = null;
  const lastAt = s.notified.at;
  const cooled = lastAt === null || now - lastAt >= p.cooldownMs;
  if (s.level !== s.notified.level) {
    const escalation = levelIndex(s.level) > levelIndex(s.notified.level);
    if (escalation || cooled) {
      const kind: NotificationKind = escalation ? 'raise' : s.level === 'ok' ? 'resolved' : 'lower';
      notify = { kind, level: s.level, from: s.notified.level };
    } else if (s.level !== from) {
      s.suppressed++;
    }
  } else if (s.level !== 'ok' && p.repeatMs > 0 && lastAt !== null && now - lastAt >= p.repeatMs) {
    notify = { kind: 'repeat', level: s.level, from: s.level };
  }
  if (notify) s.notified = { level: s.level, at: now };

  const li = levelIndex(s.level);
  const backup =
    li >= levelIndex('high') && p.preemptiveBackup.assets.length > 0 && (s.lastBackupAt === null || now - s.lastBackupAt >= p.preemptiveBackup.cooldownMs);
  if (backup) s.lastBackupAt = now;
  const failover = s.level === 'critical' && p.failover !== 'off' && (s.lastFailoverAt === null || now - s.lastFailoverAt >= p.failoverCooldownMs);
  if (failover) s.lastFailoverAt = now;
  return { state: s, from, notify, backup, failover };
}

/** The cooldown slot of a time: pre-emptive backups of one slot share one workflow id. */
export function cooldownSlot(now: number, cooldownMs: number): number {
  return Math.floor(now / Math.max(1, cooldownMs));
}

// ---------------------------------------------------------------- monitoring alerts

export interface AlertBook {
  /** Firing alerts by fingerprint. */
  active: Record<string, ActiveAlert>;
  /** Delivery keys already applied (fingerprint|status|startsAt), newest last, bounded. */
  seen: string[];
  received: number;
  duplicates: number;
}

export const EMPTY_ALERT_BOOK: AlertBook = { active: {}, seen: [], received: 0, duplicates: 0 };
export const MAX_SEEN_ALERT_KEYS = 500;
export const MAX_ACTIVE_ALERTS = 200;

export function alertKey(a: Pick<MonitoringAlert, 'fingerprint' | 'status' | 'startsAt'>): string {
  return `${a.fingerprint}|${a.status}|${a.startsAt}`;
}

function explicitRiskOf(a: MonitoringAlert): number | null {
  const explicit = a.labels.dr_risk !== undefined && a.labels.dr_risk.trim() !== '' ? Number(a.labels.dr_risk) : NaN;
  return Number.isFinite(explicit) && explicit >= 0 && explicit <= 1 ? explicit : null;
}

function severityRisk(severity: string, p: DecisionPolicy): number {
  return severity !== '' && p.alertRisk[severity] !== undefined ? p.alertRisk[severity] : p.alertDefaultRisk;
}

/** Risk of a firing alert: its `dr_risk` label when it is a number in [0, 1], else by severity. */
export function alertRiskOf(a: MonitoringAlert, p: DecisionPolicy): number {
  return explicitRiskOf(a) ?? severityRisk(a.labels.severity ?? '', p);
}

/**
 * An alert book with the index a signal needs to apply its alerts in place, in time proportional
 * to the alerts it carries, never to the book: signals arrive at Alertmanager's rate, and one
 * workflow task may hold thousands of them (copying the book per signal stalled the loop at
 * 100 deliveries/s). `active` is kept oldest-received first, so eviction takes from the front.
 */
export class LiveAlertBook {
  private readonly seenSet: Set<string>;
  private activeCount: number;

  constructor(readonly book: AlertBook) {
    this.seenSet = new Set(book.seen);
    const keys = Object.keys(book.active);
    this.activeCount = keys.length;
    // a book carried from before this order was kept: put it in order once (stable by receivedAt)
    if (keys.some((k, i) => i > 0 && book.active[keys[i - 1]].receivedAt > book.active[k].receivedAt)) {
      const sorted = [...keys].sort((x, y) => book.active[x].receivedAt - book.active[y].receivedAt);
      const entries = sorted.map((k) => [k, book.active[k]] as const);
      for (const k of keys) delete book.active[k];
      for (const [k, v] of entries) book.active[k] = v;
    }
  }

  /**
   * Applies a batch of alerts: a delivery seen before (same fingerprint, status and startsAt) is a
   * duplicate and changes nothing; firing adds or refreshes, resolved removes.
   */
  apply(alerts: readonly MonitoringAlert[], now: number, p: DecisionPolicy): { applied: number; duplicates: number } {
    const b = this.book;
    let applied = 0;
    let duplicates = 0;
    for (const a of alerts) {
      const key = alertKey(a);
      if (this.seenSet.has(key)) {
        duplicates++;
        continue;
      }
      this.seenSet.add(key);
      b.seen.push(key);
      applied++;
      const held = b.active[a.fingerprint];
      // a resolution older than the firing we hold (a new startsAt) does not clear it
      if (a.status === 'resolved' && held && held.startsAt > a.startsAt) continue;
      if (held) {
        delete b.active[a.fingerprint];
        this.activeCount--;
      }
      if (a.status === 'resolved') continue;
      b.active[a.fingerprint] = {
        fingerprint: a.fingerprint,
        name: a.labels.alertname ?? a.fingerprint,
        severity: a.labels.severity ?? '',
        explicitRisk: explicitRiskOf(a),
        risk: alertRiskOf(a, p),
        startsAt: a.startsAt,
        summary: (a.annotations.summary ?? a.annotations.description ?? a.labels.alertname ?? '').slice(0, 300),
        receivedAt: now,
      };
      this.activeCount++;
    }
    let over = this.activeCount - MAX_ACTIVE_ALERTS;
    if (over > 0) {
      for (const k in b.active) {
        delete b.active[k];
        this.activeCount--;
        if (--over === 0) break;
      }
    }
    const overSeen = b.seen.length - MAX_SEEN_ALERT_KEYS;
    if (overSeen > 0) for (const k of b.seen.splice(0, overSeen)) this.seenSet.delete(k);
    b.received += alerts.length;
    b.duplicates += duplicates;
    return { applied, duplicates };
  }
}

/** `LiveAlertBook.apply` on a copy of the book: the pure form, for callers that keep books as values. */
export function applyAlerts(
  book: AlertBook,
  alerts: readonly MonitoringAlert[],
  now: number,
  p: DecisionPolicy,
): { book: AlertBook; applied: number; duplicates: number } {
  const copy: AlertBook = { ...book, active: { ...book.active }, seen: [...book.seen] };
  return { book: copy, ...new LiveAlertBook(copy).apply(alerts, now, p) };
}

/** Re-rates active alerts after a policy change. */
export function rerateAlerts(book: AlertBook, p: DecisionPolicy): AlertBook {
  const active: Record<string, ActiveAlert> = {};
  for (const [k, a] of Object.entries(book.active)) active[k] = { ...a, risk: a.explicitRisk ?? severityRisk(a.severity, p) };
  return { ...book, active };
}

// ---------------------------------------------------------------- risk

/** Model risk and firing alerts -> one risk with its reasons, highest first. */
export function combineRisk(model: { risk: number; reasons: LoopReason[] }, book: AlertBook, maxReasons = 5): { risk: number; reasons: LoopReason[] } {
  let risk = Number.isFinite(model.risk) ? Math.min(1, Math.max(0, model.risk)) : 0;
  const reasons = [...model.reasons];
  for (const a of Object.values(book.active)) {
    risk = Math.max(risk, a.risk);
    reasons.push({
      source: `alert:${a.name}`,
      detector: 'alertmanager',
      score: a.risk,
      message: `${a.name}${a.severity ? ` (${a.severity})` : ''} firing since ${a.startsAt}${a.summary ? `: ${a.summary}` : ''}`,
    });
  }
  reasons.sort((x, y) => y.score - x.score || x.source.localeCompare(y.source));
  return { risk, reasons: reasons.slice(0, maxReasons) };
}

// ---------------------------------------------------------------- duty cycles

/**
 * Busy time in a sliding window, kept in fixed buckets (compact whatever the loop interval):
 * duty = busy ms in the last `windowMs` / the time covered (the window, or less since `startedAt`).
 */
export interface DutyWindow {
  bucketMs: number;
  buckets: number;
  /** Index (time / bucketMs) of the newest bucket. */
  head: number;
  /** Busy ms per bucket, oldest first, ending at `head`. */
  sums: number[];
  startedAt: number;
}

export function newDutyWindow(now: number, windowMs: number, buckets = 60): DutyWindow {
  const bucketMs = Math.max(1, Math.ceil(windowMs / buckets));
  return { bucketMs, buckets, head: Math.floor(now / bucketMs), sums: [0], startedAt: now };
}

function advance(w: DutyWindow, now: number): DutyWindow {
  const idx = Math.floor(now / w.bucketMs);
  if (idx <= w.head) return w;
  const gap = Math.min(idx - w.head, w.buckets);
  const sums = [...w.sums, ...new Array<number>(gap).fill(0)].slice(-w.buckets);
  return { ...w, head: idx, sums };
}

/** Adds `ms` of busy time ending at `now`. */
export function addDuty(w: DutyWindow, now: number, ms: number): DutyWindow {
  const a = advance(w, now);
  const sums = [...a.sums];
  sums[sums.length - 1] += Math.max(0, ms);
  return { ...a, sums };
}

export function dutyFraction(w: DutyWindow, now: number): number {
  const a = advance(w, now);
  const windowMs = a.bucketMs * a.buckets;
  const covered = Math.min(windowMs, Math.max(1, now - a.startedAt));
  const busy = a.sums.reduce((x, y) => x + y, 0);
  return Math.min(1, busy / covered);
}
