import type { FailoverReport } from '../common/failover-report';
import type { Plan } from '../config/plan-schema';
import { sendWarning, warningEventSchema, type SendOptions } from '../predict/sinks/warning-sinks';
import { resolvePredictionConfig } from '../predict/site-config';

/** Send a report's missed objectives to the sinks the site's prediction section names (webhook, Alertmanager); undelivered ones are logged. */
export async function notifyObjectivesMissed(plan: Plan, report: FailoverReport, log: SendOptions['log']): Promise<void> {
  const site = report.incident.site;
  const entry = plan.sites.find((x) => x.name === site);
  if (!entry?.prediction) return;
  const { config } = resolvePredictionConfig(plan, site, undefined, plan.baseDir);
  const event = warningEventSchema.parse({
    site,
    kind: 'raise',
    level: 'high',
    from: 'ok',
    risk: 1,
    reasons: report.warnings.slice(0, 20).map((w) => ({ source: report.incident.mode, detector: 'objectives', score: 1, message: w.slice(0, 500) })),
    at: new Date().toISOString(),
    workflowId: report.workflowId ?? report.id ?? 'unknown',
    modelVersion: null,
    actions: [`report ${report.id}`],
    origin: 'objectives',
  });
  const results = await sendWarning(config.sinks, event, { log });
  for (const r of results.filter((x) => !x.ok)) log.warn({ site, sink: r.sink, error: r.error }, 'objective warning not delivered');
}
