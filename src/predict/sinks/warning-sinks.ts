/**
 * Warning sinks: a structured log line, a generic webhook with Slack-compatible JSON, and
 * Prometheus Alertmanager's API v2 (POST /api/v2/alerts), so predicted trouble routes like any
 * other alert. Each sink is tried a few times; one failing sink does not stop the others.
 *
 * Alertmanager: one alert per site and level (`alertname="LeptonDrPredictedRisk"`,
 * `dr_site`, `severity` = the level), sent with an `endsAt` a TTL ahead; the loop refreshes it
 * while the level lasts and sends `endsAt = now` when the level ends. The label
 * `lepton_dr_source="prediction"` lets the bridge ignore these alerts when Alertmanager routes
 * them back to it (no feedback loop).
 */
import { z } from 'zod';
import type { Logger } from '../../common/logger';
import { fmtDuration } from '../detectors/detector';
import type { SinksSchema } from '../site-config';

export const PREDICTION_ALERT_NAME = 'LeptonDrPredictedRisk';
export const PREDICTION_SOURCE_LABEL = 'lepton_dr_source';
export const PREDICTION_SOURCE_VALUE = 'prediction';
/** The Alertmanager alert of a drill or failover that missed its RTO/RPO objectives. */
export const OBJECTIVE_ALERT_NAME = 'LeptonDrObjectiveMissed';

export type SinksConfig = z.output<typeof SinksSchema>;

export interface WarningReason {
  source: string;
  detector: string;
  score: number;
  message: string;
  etaMs?: number;
}

export const warningEventSchema = z
  .object({
    site: z.string().min(1),
    /** raise / lower / resolved / repeat: notify; refresh: keep the Alertmanager alert alive (Alertmanager only). */
    kind: z.enum(['raise', 'lower', 'resolved', 'repeat', 'refresh']),
    level: z.enum(['ok', 'warn', 'high', 'critical']),
    from: z.enum(['ok', 'warn', 'high', 'critical']),
    risk: z.number().min(0).max(1),
    reasons: z
      .array(z.object({ source: z.string(), detector: z.string(), score: z.number(), message: z.string(), etaMs: z.number().optional() }).strict())
      .max(20),
    /** ISO time of the decision (the workflow's clock). */
    at: z.string().datetime(),
    /** When the current level began (ISO). */
    since: z.string().datetime().optional(),
    workflowId: z.string().min(1),
    modelVersion: z.string().nullable(),
    actions: z.array(z.string().max(300)).max(20).default([]),
    /** what raised it: the prediction loop (default) or a drill/failover that missed its objectives */
    origin: z.enum(['prediction', 'objectives']).default('prediction'),
  })
  .strict();
export type WarningEvent = z.infer<typeof warningEventSchema>;

export interface SinkResult {
  sink: 'log' | 'webhook' | 'alertmanager';
  ok: boolean;
  attempts: number;
  error?: string;
}

const LEVEL_EMOJI: Record<string, string> = { ok: ':white_check_mark:', warn: ':warning:', high: ':rotating_light:', critical: ':fire:' };
const LEVEL_COLOR: Record<string, string> = { ok: '#2eb886', warn: '#daa038', high: '#e8590c', critical: '#a30200' };

/** One line for people: "[HIGH] site eu-west: risk 0.87 - disk_used: forecast to reach 0.95 in 2.1h". */
export function headline(ev: WarningEvent): string {
  const top = ev.reasons[0];
  const why = top ? ` - ${top.message}` : '';
  if (ev.origin === 'objectives') return `[${ev.level.toUpperCase()}] site ${ev.site}: ${ev.reasons.map((r) => r.message).join('; ')}`;
  if (ev.kind === 'resolved') return `[RESOLVED] site ${ev.site}: risk back to ${ev.risk.toFixed(2)} (was ${ev.from})`;
  const eta = top?.etaMs !== undefined ? ` (in ${fmtDuration(top.etaMs)})` : '';
  return `[${ev.level.toUpperCase()}] site ${ev.site}: risk ${ev.risk.toFixed(2)}${ev.kind === 'repeat' ? ' (still)' : ''}${why}${eta}`;
}

/** Slack-compatible webhook body: `text` for any receiver, attachments for Slack, `lepton` with the event for machines. */
export function slackPayload(ev: WarningEvent): Record<string, unknown> {
  return {
    text: `${LEVEL_EMOJI[ev.level] ?? ''} ${headline(ev)}`.trim(),
    attachments: [
      {
        color: LEVEL_COLOR[ev.level] ?? '#cccccc',
        title: `lepton-dr prediction: ${ev.site}`,
        text: ev.reasons.map((r) => `- ${r.source} (${r.detector}, ${r.score.toFixed(2)}): ${r.message}`).join('\n') || 'no reason above the reporting level',
        fields: [
          { title: 'Level', value: ev.level, short: true },
          { title: 'Risk', value: ev.risk.toFixed(3), short: true },
          { title: 'Model', value: ev.modelVersion ?? 'none', short: true },
          { title: 'Workflow', value: ev.workflowId, short: true },
          ...(ev.actions.length ? [{ title: 'Actions', value: ev.actions.join('\n'), short: false }] : []),
        ],
        ts: Math.floor(Date.parse(ev.at) / 1000),
      },
    ],
    lepton: ev,
  };
}

/** Alertmanager v2 alerts for an event: the current level firing (unless ok), the previous level ended. */
export function alertmanagerAlerts(ev: WarningEvent, ttlMs: number, extraLabels: Record<string, string> = {}): Record<string, unknown>[] {
  const at = Date.parse(ev.at);
  const alertname = ev.origin === 'objectives' ? OBJECTIVE_ALERT_NAME : PREDICTION_ALERT_NAME;
  const labels = (level: string) => ({ ...extraLabels, alertname, dr_site: ev.site, severity: level, [PREDICTION_SOURCE_LABEL]: PREDICTION_SOURCE_VALUE });
  const annotations = {
    summary: headline(ev),
    description: ev.reasons.map((r) => `${r.source}: ${r.message}`).join('\n'),
    risk: ev.risk.toFixed(3),
    workflow_id: ev.workflowId,
    model_version: ev.modelVersion ?? '',
  };
  const out: Record<string, unknown>[] = [];
  const startsAt = ev.since ?? ev.at;
  if (ev.level !== 'ok') out.push({ labels: labels(ev.level), annotations, startsAt, endsAt: new Date(at + ttlMs).toISOString() });
  if (ev.from !== 'ok' && ev.from !== ev.level) out.push({ labels: labels(ev.from), annotations, startsAt: ev.at, endsAt: ev.at });
  return out;
}

async function postJson(url: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const err = e as Error;
    throw new Error(err.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : err.message);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new Error(`HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

async function withRetries(fn: () => Promise<void>, attempts: number, delayMs: number): Promise<{ ok: boolean; attempts: number; error?: string }> {
  let last = '';
  for (let i = 1; i <= attempts; i++) {
    try {
      await fn();
      return { ok: true, attempts: i };
    } catch (e) {
      last = (e as Error).message;
      if (i < attempts) await new Promise((r) => setTimeout(r, delayMs * i));
    }
  }
  return { ok: false, attempts, error: last };
}

export interface SendOptions {
  log: Logger;
  attempts?: number;
  retryDelayMs?: number;
  /** Alertmanager alert lifetime without refresh. */
  alertTtlMs?: number;
}

/** Sends one event to every configured sink; never throws (results say what failed). */
export async function sendWarning(sinks: SinksConfig, ev: WarningEvent, o: SendOptions): Promise<SinkResult[]> {
  const attempts = o.attempts ?? 3;
  const delay = o.retryDelayMs ?? 500;
  const out: SinkResult[] = [];
  const notify = ev.kind !== 'refresh';
  if (sinks.log && notify) {
    const line = {
      site: ev.site,
      kind: ev.kind,
      level: ev.level,
      from: ev.from,
      risk: ev.risk,
      reasons: ev.reasons,
      actions: ev.actions,
      workflowId: ev.workflowId,
      modelVersion: ev.modelVersion,
    };
    if (ev.level === 'ok') o.log.info(line, headline(ev));
    else o.log.warn(line, headline(ev));
    out.push({ sink: 'log', ok: true, attempts: 1 });
  }
  const jobs: Promise<void>[] = [];
  if (sinks.webhook && notify) {
    const w = sinks.webhook;
    jobs.push(
      withRetries(() => postJson(w.url, slackPayload(ev), w.headers, w.timeoutMs), attempts, delay).then((r) => void out.push({ sink: 'webhook', ...r })),
    );
  }
  if (sinks.alertmanager) {
    const a = sinks.alertmanager;
    const alerts = alertmanagerAlerts(ev, o.alertTtlMs ?? 15 * 60_000, a.labels);
    if (alerts.length) {
      const url = `${a.url.replace(/\/+$/, '')}/api/v2/alerts`;
      jobs.push(withRetries(() => postJson(url, alerts, a.headers, a.timeoutMs), attempts, delay).then((r) => void out.push({ sink: 'alertmanager', ...r })));
    }
  }
  await Promise.all(jobs);
  for (const r of out)
    if (!r.ok) o.log.error({ site: ev.site, sink: r.sink, error: r.error, attempts: r.attempts }, `warning sink ${r.sink} failed: ${r.error}`);
  return out;
}
