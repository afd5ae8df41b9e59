import { LEVELS } from '../config/prediction-policy';
import type { PredictionStatus } from '../contracts/prediction-messages';

/** Prometheus text exposition (format 0.0.4) of the bridge's counters and every site's loop status. */
export interface BridgeCounters {
  webhooks: Record<string, number>;
  alerts: Record<string, number>;
  pushes: Record<string, number>;
}

export interface SiteSample {
  site: string;
  /** null: the loop did not answer (not running, or no worker). */
  status: PredictionStatus | null;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const num = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

class Exposition {
  private readonly lines: string[] = [];
  family(name: string, type: 'gauge' | 'counter', help: string, samples: { labels?: Record<string, string>; value: number }[]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of samples) {
      const l =
        s.labels && Object.keys(s.labels).length
          ? `{${Object.entries(s.labels)
              .map(([k, v]) => `${k}="${esc(v)}"`)
              .join(',')}}`
          : '';
      this.lines.push(`${name}${l} ${num(s.value)}`);
    }
  }
  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

type Family = [name: string, type: 'gauge' | 'counter', help: string];

/** Per site with a loop that answered: the value from its status, or null for none this time. */
const SITE_FAMILIES: [...Family, (st: PredictionStatus) => number | null][] = [
  ['lepton_dr_prediction_risk', 'gauge', 'Combined risk in [0, 1] (model and monitoring alerts).', (st) => st.risk],
  ['lepton_dr_prediction_model_risk', 'gauge', 'Risk from the trained model alone.', (st) => st.modelRisk],
  ['lepton_dr_prediction_level', 'gauge', 'Warning level after hysteresis: 0 ok, 1 warn, 2 high, 3 critical.', (st) => LEVELS.indexOf(st.level)],
  ['lepton_dr_prediction_paused', 'gauge', 'Whether the loop is paused.', (st) => (st.paused ? 1 : 0)],
  [
    'lepton_dr_duty_cycle_backup',
    'gauge',
    'P(B): fraction of the window spent backing up the site assets.',
    (st) => (st.duty.backup === null ? null : st.duty.backup),
  ],
  ['lepton_dr_duty_cycle_prediction', 'gauge', 'P(W): fraction of the window spent computing predictions.', (st) => st.duty.prediction],
  ['lepton_dr_duty_cycle_window_seconds', 'gauge', 'Window of the duty cycles.', (st) => st.duty.windowMs / 1000],
  ['lepton_dr_prediction_warnings_total', 'counter', 'Warning notifications sent by the loop.', (st) => st.warningsSent],
  ['lepton_dr_prediction_suppressed_total', 'counter', 'Notifications held back by the cooldown.', (st) => st.suppressed],
  ['lepton_dr_prediction_iterations_total', 'counter', 'Loop iterations.', (st) => st.iteration],
  ['lepton_dr_prediction_errors_total', 'counter', 'Failed loop iterations.', (st) => st.errors],
  ['lepton_dr_prediction_alerts_active', 'gauge', 'Firing monitoring alerts held by the loop.', (st) => st.alerts.length],
  ['lepton_dr_prediction_alert_duplicates_total', 'counter', 'Alert deliveries ignored as duplicates.', (st) => st.alertStats.duplicates],
  [
    'lepton_dr_prediction_last_iteration_seconds',
    'gauge',
    'Compute time of the last iteration (collect + score activities).',
    (st) => (st.lastIterationMs === null ? null : st.lastIterationMs / 1000),
  ],
];

/** The bridge's own counters, one label each. */
const COUNTER_FAMILIES: [...Family, keyof BridgeCounters, string][] = [
  ['lepton_dr_bridge_webhooks_total', 'counter', 'Alertmanager webhook requests by result.', 'webhooks', 'result'],
  ['lepton_dr_bridge_alerts_total', 'counter', 'Alerts received by outcome.', 'alerts', 'outcome'],
  ['lepton_dr_bridge_pushes_total', 'counter', 'Metric pushes by result.', 'pushes', 'result'],
];

export function renderMetrics(sites: SiteSample[], counters: BridgeCounters): string {
  const e = new Exposition();
  const up = sites.filter((s) => s.status !== null) as { site: string; status: PredictionStatus }[];
  e.family(
    'lepton_dr_prediction_up',
    'gauge',
    'Whether the site prediction loop answered the status query.',
    sites.map((s) => ({ labels: { site: s.site }, value: s.status ? 1 : 0 })),
  );
  for (const [name, type, help, value] of SITE_FAMILIES)
    e.family(
      name,
      type,
      help,
      up.flatMap((s) => {
        const v = value(s.status);
        return v === null ? [] : [{ labels: { site: s.site }, value: v }];
      }),
    );
  for (const [name, type, help, key, label] of COUNTER_FAMILIES)
    e.family(
      name,
      type,
      help,
      Object.entries(counters[key]).map(([k, value]) => ({ labels: { [label]: k }, value })),
    );
  return e.text();
}
