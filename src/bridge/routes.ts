import type { Client } from '@temporalio/client';

import { formatZodError } from '../common/zod-errors';
import type { Logger } from '../common/logger';
import { PREDICTION_SOURCE_LABEL, PREDICTION_SOURCE_VALUE } from '../predict/sinks/warning-sinks';
import { PushMetricsSchema, SiteName, predictionWorkflowId, type AlertSignal, type MonitoringAlert, type PushMetrics } from '../contracts/prediction-inputs';
import { alertSignal, predictionStatusQuery, pushMetricsSignal, type PredictionStatus } from '../contracts/prediction-messages';
import { workflowRef } from '../contracts/workflows';
import { AlertmanagerPayloadSchema } from './alertmanager-payload';
import { renderMetrics, type BridgeCounters } from './metrics';

/**
 * The bridge's routes as plain functions (body in, status and body out), over a Deliverer that
 * signals the loops; server.ts does HTTP, auth and limits.
 */
export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
}

/** How the bridge reaches the loops: signal-with-start on "predict-<site>" and the status query. */
export interface Deliverer {
  alerts(site: string, payload: AlertSignal): Promise<string>;
  push(site: string, payload: PushMetrics): Promise<string>;
  status(site: string): Promise<PredictionStatus | null>;
}

export function temporalDeliverer(client: Client, taskQueue: string, queryTimeoutMs = 3000): Deliverer {
  const start = async (site: string, signal: typeof alertSignal | typeof pushMetricsSignal, arg: unknown): Promise<string> => {
    const workflowId = predictionWorkflowId(site);
    await client.workflow.signalWithStart(workflowRef('predictionWorkflow'), {
      workflowId,
      taskQueue,
      args: [{ site }],
      signal: signal as typeof alertSignal,
      signalArgs: [arg as AlertSignal],
      staticSummary: `prediction loop of ${site} (started by the bridge)`,
    });
    return workflowId;
  };
  return {
    alerts: (site, payload) => start(site, alertSignal, payload),
    push: (site, payload) => start(site, pushMetricsSignal, payload),
    async status(site) {
      const q = client.workflow.getHandle(predictionWorkflowId(site)).query(predictionStatusQuery);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), queryTimeoutMs)));
      try {
        return await Promise.race([q.catch(() => null), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface RouteContext {
  deliver: Deliverer;
  log: Logger;
  counters: BridgeCounters;
  /** Label naming an alert's site (default dr_site). */
  siteLabel: string;
  /** Accepted sites (from the plan); undefined: any valid site name. */
  sites?: readonly string[];
  /** Sites listed on /metrics even before they are seen. */
  metricsSites: readonly string[];
  /** Sites seen by this bridge (added to /metrics). */
  seen: Set<string>;
}

const bump = (m: Record<string, number>, k: string, n = 1) => void (m[k] = (m[k] ?? 0) + n);
const MAX_ALERTS_PER_SIGNAL = 500;

function siteProblem(ctx: RouteContext, site: string): string | null {
  const r = SiteName.safeParse(site);
  if (!r.success) return `label ${ctx.siteLabel}="${site}": ${r.error.issues[0]?.message ?? 'invalid'}`;
  if (ctx.sites && !ctx.sites.includes(site)) return `site "${site}" is not in the plan`;
  return null;
}

/** POST /webhook/alertmanager: every alert to its site's loop; nothing is signalled unless the whole body is valid. */
export async function handleAlertmanager(raw: unknown, ctx: RouteContext): Promise<Reply> {
  const r = AlertmanagerPayloadSchema.safeParse(raw);
  if (!r.success) {
    bump(ctx.counters.webhooks, 'invalid');
    return { status: 400, body: { error: `invalid Alertmanager payload: ${formatZodError(r.error)}` } };
  }
  const p = r.data;
  const bySite = new Map<string, MonitoringAlert[]>();
  const skipped: { fingerprint: string; reason: string }[] = [];
  for (const a of p.alerts) {
    const labels = { ...p.commonLabels, ...a.labels };
    if (labels[PREDICTION_SOURCE_LABEL] === PREDICTION_SOURCE_VALUE) {
      skipped.push({ fingerprint: a.fingerprint, reason: 'raised by the prediction loop itself' });
      continue;
    }
    const site = labels[ctx.siteLabel];
    if (!site) {
      skipped.push({ fingerprint: a.fingerprint, reason: `no ${ctx.siteLabel} label` });
      continue;
    }
    const problem = siteProblem(ctx, site);
    if (problem) {
      skipped.push({ fingerprint: a.fingerprint, reason: problem });
      continue;
    }
    const list = bySite.get(site) ?? [];
    list.push({
      status: a.status,
      fingerprint: a.fingerprint,
      startsAt: a.startsAt,
      ...(a.status === 'resolved' ? { endsAt: a.endsAt } : {}),
      labels,
      annotations: { ...p.commonAnnotations, ...a.annotations },
      ...(a.generatorURL ? { generatorURL: a.generatorURL.slice(0, 2000) } : {}),
    });
    bySite.set(site, list);
  }
  bump(ctx.counters.alerts, 'skipped', skipped.length);
  const delivered: { site: string; workflowId: string; alerts: number }[] = [];
  for (const [site, alerts] of bySite) {
    try {
      let workflowId = '';
      for (let i = 0; i < alerts.length; i += MAX_ALERTS_PER_SIGNAL) {
        workflowId = await ctx.deliver.alerts(site, {
          alerts: alerts.slice(i, i + MAX_ALERTS_PER_SIGNAL),
          receiver: p.receiver.slice(0, 200),
          groupKey: p.groupKey.slice(0, 2000),
          externalURL: p.externalURL.slice(0, 2000),
        });
      }
      delivered.push({ site, workflowId, alerts: alerts.length });
      ctx.seen.add(site);
      bump(ctx.counters.alerts, 'delivered', alerts.length);
    } catch (e) {
      bump(ctx.counters.webhooks, 'unavailable');
      ctx.log.error({ site, err: (e as Error).message }, 'could not signal the prediction loop');
      // Alertmanager retries on 5xx; the loop drops the deliveries it already has (fingerprint, status, startsAt)
      return { status: 503, body: { error: `could not deliver to site ${site}: ${(e as Error).message}`, delivered } };
    }
  }
  bump(ctx.counters.webhooks, 'ok');
  ctx.log.info({ receiver: p.receiver, status: p.status, delivered, skipped: skipped.length }, 'alertmanager notification delivered');
  return { status: 200, body: { delivered, skipped } };
}

export const PushRequestSchema = PushMetricsSchema.extend({ site: SiteName }).strict();

/** POST /metrics/push {site, samples: [{series, t?, v}]}: validated, then signalled to the site's loop. */
export async function handlePush(raw: unknown, ctx: RouteContext): Promise<Reply> {
  const r = PushRequestSchema.safeParse(raw);
  if (!r.success) {
    bump(ctx.counters.pushes, 'invalid');
    return { status: 400, body: { error: `invalid push: ${formatZodError(r.error)}` } };
  }
  const problem = siteProblem(ctx, r.data.site);
  if (problem) {
    bump(ctx.counters.pushes, 'invalid');
    return { status: 400, body: { error: `invalid push: site: ${problem}` } };
  }
  try {
    const workflowId = await ctx.deliver.push(r.data.site, { samples: r.data.samples });
    ctx.seen.add(r.data.site);
    bump(ctx.counters.pushes, 'ok');
    return { status: 202, body: { workflowId, samples: r.data.samples.length } };
  } catch (e) {
    bump(ctx.counters.pushes, 'unavailable');
    return { status: 503, body: { error: `could not deliver to site ${r.data.site}: ${(e as Error).message}` } };
  }
}

/** GET /metrics: Prometheus text format, every known site's loop queried in parallel. */
export async function handleMetrics(ctx: RouteContext): Promise<Reply> {
  const sites = [...new Set([...ctx.metricsSites, ...ctx.seen])].sort();
  const statuses = await Promise.all(sites.map(async (site) => ({ site, status: await ctx.deliver.status(site) })));
  return { status: 200, body: renderMetrics(statuses, ctx.counters), contentType: 'text/plain; version=0.0.4; charset=utf-8' };
}
