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

export function renderMetrics(sites: SiteSample[], counters: BridgeCounters): string {
  const e = new Exposition();
  const up = sites.filter((s) => s.status !== null) as { site: string; status: PredictionStatus }[];
  e.family(
    'lepton_dr_prediction_up',
    'gauge',
    'Whether the site prediction loop answered the status query.',
    sites.map((s) => ({ labels: { site: s.site }, value: s.status ? 1 : 0 })),
  );
  e.family(
    'lepton_dr_prediction_risk',
    'gauge',
    'Combined risk in [0, 1] (model and monitoring alerts).',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.risk })),
  );
  e.family(
    'lepton_dr_prediction_model_risk',
    'gauge',
    'Risk from the trained model alone.',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.modelRisk })),
  );
  e.family(
    'lepton_dr_prediction_level',
    'gauge',
    'Warning level after hysteresis: 0 ok, 1 warn, 2 high, 3 critical.',
    up.map((s) => ({ labels: { site: s.site }, value: LEVELS.indexOf(s.status.level) })),
  );
  e.family(
    'lepton_dr_prediction_paused',
    'gauge',
    'Whether the loop is paused.',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.paused ? 1 : 0 })),
  );
  e.family(
    'lepton_dr_duty_cycle_backup',
    'gauge',
    'P(B): fraction of the window spent backing up the site assets.',
    up.filter((s) => s.status.duty.backup !== null).map((s) => ({ labels: { site: s.site }, value: s.status.duty.backup! })),
  );
  e.family(
    'lepton_dr_duty_cycle_prediction',
    'gauge',
    'P(W): fraction of the window spent computing predictions.',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.duty.prediction })),
  );
  e.family(
    'lepton_dr_duty_cycle_window_seconds',
    'gauge',
    'Window of the duty cycles.',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.duty.windowMs / 1000 })),
  );
  e.family(
    'lepton_dr_prediction_warnings_total',
    'counter',
    'Warning notifications sent by the loop.',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.warningsSent })),
  );
  e.family(
    'lepton_dr_prediction_suppressed_total',
    'counter',
    'Notifications held back by the cooldown.',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.suppressed })),
  );
  e.family(
    'lepton_dr_prediction_iterations_total',
    'counter',
    'Loop iterations.',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.iteration })),
  );
  e.family(
    'lepton_dr_prediction_errors_total',
    'counter',
    'Failed loop iterations.',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.errors })),
  );
  e.family(
    'lepton_dr_prediction_alerts_active',
    'gauge',
    'Firing monitoring alerts held by the loop.',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.alerts.length })),
  );
  e.family(
    'lepton_dr_prediction_alert_duplicates_total',
    'counter',
    'Alert deliveries ignored as duplicates.',
    up.map((s) => ({ labels: { site: s.site }, value: s.status.alertStats.duplicates })),
  );
  e.family(
    'lepton_dr_prediction_last_iteration_seconds',
    'gauge',
    'Compute time of the last iteration (collect + score activities).',
    up.filter((s) => s.status.lastIterationMs !== null).map((s) => ({ labels: { site: s.site }, value: s.status.lastIterationMs! / 1000 })),
  );
  e.family(
    'lepton_dr_bridge_webhooks_total',
    'counter',
    'Alertmanager webhook requests by result.',
    Object.entries(counters.webhooks).map(([result, value]) => ({ labels: { result }, value })),
  );
  e.family(
    'lepton_dr_bridge_alerts_total',
    'counter',
    'Alerts received by outcome.',
    Object.entries(counters.alerts).map(([outcome, value]) => ({ labels: { outcome }, value })),
  );
  e.family(
    'lepton_dr_bridge_pushes_total',
    'counter',
    'Metric pushes by result.',
    Object.entries(counters.pushes).map(([result, value]) => ({ labels: { result }, value })),
  );
  return e.text();
}
