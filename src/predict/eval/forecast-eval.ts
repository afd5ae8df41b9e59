/**
 * Time-to-limit evaluation: our forecaster (detectors/trend.ts) against Prometheus's own
 * `predict_linear`, on the same labelled traces (forecast-traces.ts), at equal lead time.
 *
 * Equal lead time: both are asked "will the limit be crossed within `horizonMs`?" at every step.
 * - predict_linear: `predict_linear(m[window], horizon) >= limit`, evaluated by the real
 *   Prometheus (query_range over the TSDB the traces were loaded into with promtool);
 * - ours: the warning level the loop would raise from the forecaster's risk (its default policy:
 *   threshold 0.5 with hysteresis), with `leadTimeMs = horizonMs / 1.25`, since the
 *   forecaster's urgency reaches 0.5 at 1.25 lead times (trend.ts): a confident forecast warns
 *   when the crossing is at most one horizon away, like predict_linear.
 * Both fit the same window of samples. Lead time and false alarms: forecast-score.ts.
 */
import { DecisionPolicySchema } from '../../config/prediction-policy';
import type { DecisionPolicy } from '../../config/prediction-policy';
import { TimeToLimitForecaster } from '../detectors/trend';
import { LIMIT_FORECAST_SETTINGS } from '../detectors/trend-config';
import type { TrendConfigInput } from '../detectors/trend-config';
import { queryRange } from '../sources/prometheus';
import type { LabelledTrace } from './forecast-traces';
import { scoreWarnings } from './forecast-score';
import type { TraceScore, WarningPoint } from './forecast-score';

/** Name of the gauge the traces are written as (label `trace`). */
export const TRACE_METRIC = 'lepton_forecast_trace';

export interface ForecastEvalOptions {
  stepMs: number;
  horizonMs: number;
  /** The fitted window, for both. */
  windowMs: number;
  /**
   * Our forecaster's settings beyond limit, lead and window (generic: the same for every trace;
   * default LIMIT_FORECAST_SETTINGS, what a site's limits run with).
   */
  trend?: Omit<TrendConfigInput, 'limit' | 'leadTimeMs' | 'windowPoints'>;
}

export interface TraceComparison {
  readonly trace: string;
  readonly crossAt: number | null;
  readonly ours: TraceScore;
  readonly predictLinear: TraceScore;
}

export function ourTrendConfig(trace: Pick<LabelledTrace, 'limit' | 'unit'>, o: ForecastEvalOptions): TrendConfigInput {
  return {
    ...LIMIT_FORECAST_SETTINGS,
    ...o.trend,
    limit: trace.limit,
    leadTimeMs: o.horizonMs / 1.25,
    windowPoints: Math.max(3, Math.round(o.windowMs / o.stepMs)),
    label: trace.unit,
  };
}

/**
 * The warning the loop raises from a risk series, with the loop's default policy: on after
 * `raiseAfter` evaluations at or above the warning threshold, off after `clearAfter` below
 * (threshold - hysteresis).
 */
export function warningsFromRisk(
  risks: readonly { t: number; risk: number }[],
  policy: Pick<DecisionPolicy, 'thresholds' | 'hysteresis' | 'raiseAfter' | 'clearAfter'> = DecisionPolicySchema.parse({}),
): WarningPoint[] {
  let on = false;
  let streak = 0;
  return risks.map(({ t, risk }) => {
    const flips = on ? risk < policy.thresholds.warn - policy.hysteresis : risk >= policy.thresholds.warn;
    streak = flips ? streak + 1 : 0;
    if (streak >= (on ? policy.clearAfter : policy.raiseAfter)) {
      on = !on;
      streak = 0;
    }
    return { t, on };
  });
}

/** Our warnings at every sample time of the trace. */
export function ourWarnings(trace: LabelledTrace, o: ForecastEvalOptions): WarningPoint[] {
  const f = new TimeToLimitForecaster(ourTrendConfig(trace, o));
  return warningsFromRisk(trace.samples.map((s) => ({ t: s.t, risk: f.update(s) })));
}

/** OpenMetrics text of the traces (one gauge, one series per trace, timestamps in seconds), for `promtool tsdb create-blocks-from openmetrics`. */
export function tracesToOpenMetrics(traces: readonly LabelledTrace[]): string {
  const lines = [`# HELP ${TRACE_METRIC} Labelled time-to-limit evaluation trace.`, `# TYPE ${TRACE_METRIC} gauge`];
  for (const tr of traces) {
    for (const s of tr.samples) lines.push(`${TRACE_METRIC}{trace="${tr.name}"} ${s.v} ${s.t / 1000}`);
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

export function predictLinearQuery(trace: LabelledTrace, o: Pick<ForecastEvalOptions, 'horizonMs' | 'windowMs'>): string {
  return `predict_linear(${TRACE_METRIC}{trace="${trace.name}"}[${Math.round(o.windowMs / 1000)}s], ${o.horizonMs / 1000}) >= ${trace.limit}`;
}

/**
 * predict_linear's warnings at every sample time of the trace, from a Prometheus that holds the
 * traces: the comparison query returns the steps where it is true; every other step is off.
 */
export async function predictLinearWarnings(prometheusUrl: string, trace: LabelledTrace, o: ForecastEvalOptions): Promise<WarningPoint[]> {
  const first = trace.samples[0]!.t;
  const last = trace.samples[trace.samples.length - 1]!.t;
  const series = await queryRange(
    { url: prometheusUrl, timeoutMs: 30_000 },
    { query: predictLinearQuery(trace, o), start: first, end: last, stepMs: o.stepMs },
  );
  const on = new Set<number>();
  for (const s of series) for (const p of s.samples) on.add(p.t);
  return trace.samples.map((s) => ({ t: s.t, on: on.has(s.t) }));
}

export async function compareOnTraces(prometheusUrl: string, traces: readonly LabelledTrace[], o: ForecastEvalOptions): Promise<TraceComparison[]> {
  const out: TraceComparison[] = [];
  for (const tr of traces) {
    out.push({
      trace: tr.name,
      crossAt: tr.crossAt,
      ours: scoreWarnings(ourWarnings(tr, o), tr.crossAt, o.horizonMs),
      predictLinear: scoreWarnings(await predictLinearWarnings(prometheusUrl, tr, o), tr.crossAt, o.horizonMs),
    });
  }
  return out;
}

export interface ForecastGoals {
  /** Every filling trace warned at least this long before its limit. */
  readonly minLeadMs: number;
  readonly ours: { readonly falseAlarms: number; readonly stableFalseAlarms: number; readonly minLeadMs: number | null; readonly missed: number };
  readonly predictLinear: { readonly falseAlarms: number; readonly stableFalseAlarms: number; readonly minLeadMs: number | null; readonly missed: number };
}

function totals(rows: readonly TraceComparison[], pick: (r: TraceComparison) => TraceScore, minLeadMs: number): ForecastGoals['ours'] {
  let falseAlarms = 0;
  let stableFalseAlarms = 0;
  let minLead: number | null = null;
  let missed = 0;
  for (const r of rows) {
    const s = pick(r);
    falseAlarms += s.falseAlarms;
    if (r.crossAt === null) stableFalseAlarms += s.falseAlarms;
    if (s.leadMs !== null) {
      minLead = minLead === null ? s.leadMs : Math.min(minLead, s.leadMs);
      if (s.leadMs < minLeadMs) missed++;
    }
  }
  return { falseAlarms, stableFalseAlarms, minLeadMs: minLead, missed };
}

/** Totals for the goals: lead >= minLeadMs on every filling trace, no false alarm on stable traces, fewer false alarms than predict_linear. */
export function summariseComparison(rows: readonly TraceComparison[], minLeadMs = 3600_000): ForecastGoals {
  return { minLeadMs, ours: totals(rows, (r) => r.ours, minLeadMs), predictLinear: totals(rows, (r) => r.predictLinear, minLeadMs) };
}
