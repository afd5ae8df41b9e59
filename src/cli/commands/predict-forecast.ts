/**
 * `lepton-dr predict forecast-eval`: our time-to-limit forecaster against Prometheus's
 * `predict_linear` on generated labelled traces, at equal lead time (src/predict/eval/forecast-eval.ts).
 * Starts a real Prometheus (and promtool) on a temporary TSDB; prints one row per trace and the
 * goals' totals.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { BadInputError } from '../../common/errors';
import { parseDurationMs } from '../../common/schema-primitives';
import { parseOrThrow } from '../../common/zod-errors';
import { trendConfigSchema } from '../../predict/detectors/trend-config';
import { fmtDuration } from '../../predict/detectors/detector';
import { compareOnTraces, summariseComparison } from '../../predict/eval/forecast-eval';
import type { ForecastEvalOptions, TraceComparison } from '../../predict/eval/forecast-eval';
import { prometheusWithTraces } from '../../predict/eval/forecast-prometheus';
import { generateTraces } from '../../predict/eval/forecast-traces';
import { table } from '../output';

function durationArg(v: string): number {
  const ms = parseDurationMs(v);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('expected a duration like 5m, 4h, 1d');
  return ms;
}

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

const lead = (ms: number | null): string => (ms === null ? '-' : ms === 0 ? 'none' : fmtDuration(ms));

export function forecastRows(rows: readonly TraceComparison[]): string[][] {
  return [
    ['trace', 'reaches limit', 'our lead', 'our FA', 'predict_linear lead', 'predict_linear FA'],
    ...rows.map((r) => [
      r.trace,
      r.crossAt === null ? 'never' : new Date(r.crossAt).toISOString().slice(0, 16),
      lead(r.ours.leadMs),
      String(r.ours.falseAlarms),
      lead(r.predictLinear.leadMs),
      String(r.predictLinear.falseAlarms),
    ]),
  ];
}

function trendSettings(json: string): ForecastEvalOptions['trend'] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new BadInputError('--trend: not JSON');
  }
  return parseOrThrow(trendConfigSchema.omit({ limit: true, leadTimeMs: true, windowPoints: true }).partial(), raw, '--trend') as ForecastEvalOptions['trend'];
}

export function predictForecastEvalCommand(): Command {
  return new Command('forecast-eval')
    .description('time-to-limit warnings on generated labelled traces: ours against Prometheus predict_linear (real Prometheus), at equal lead time')
    .option('--seed <n>', 'trace generator seed', intArg, 1)
    .option('--per-family <n>', 'traces per family', intArg, 2)
    .option('--step <duration>', 'sample (and evaluation) step', durationArg, 300_000)
    .option('--horizon <duration>', 'lead horizon: warn when the limit is this close (predict_linear extrapolates this far)', durationArg, 4 * 3600_000)
    .option('--window <duration>', 'fitted window, for both', durationArg, 12 * 3600_000)
    .option('--trend <json>', 'our forecaster settings beyond limit, lead and window, as JSON (see TimeToLimitForecaster)')
    .option('--min-lead <duration>', 'goal: every filling trace warned at least this long before its limit', durationArg, 3600_000)
    .action(async (opts: { seed: number; perFamily: number; step: number; horizon: number; window: number; trend?: string; minLead: number }, cmd: Command) => {
      const traces = generateTraces({ seed: opts.seed, stepMs: opts.step, perFamily: opts.perFamily });
      const o: ForecastEvalOptions = {
        stepMs: opts.step,
        horizonMs: opts.horizon,
        windowMs: opts.window,
        ...(opts.trend ? { trend: trendSettings(opts.trend) } : {}),
      };
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-forecast-'));
      const prom = await prometheusWithTraces(dir, traces);
      try {
        const rows = await compareOnTraces(prom.url, traces, o);
        const goals = summariseComparison(rows, opts.minLead);
        if ((cmd.optsWithGlobals() as { json?: boolean }).json) {
          process.stdout.write(
            `${JSON.stringify({ seed: opts.seed, stepMs: opts.step, horizonMs: opts.horizon, windowMs: opts.window, rows, goals }, null, 2)}\n`,
          );
          return;
        }
        const total = (g: typeof goals.ours): string =>
          `false alarms ${g.falseAlarms} (on stable traces ${g.stableFalseAlarms}), shortest lead ${lead(g.minLeadMs)}, ${g.missed} filling trace(s) warned less than ${fmtDuration(goals.minLeadMs)} ahead`;
        process.stdout.write(
          [
            `${traces.length} traces (seed ${opts.seed}, step ${fmtDuration(opts.step)}), horizon ${fmtDuration(opts.horizon)}, window ${fmtDuration(opts.window)}; predict_linear by Prometheus at ${prom.url}`,
            table(forecastRows(rows)),
            `ours:           ${total(goals.ours)}`,
            `predict_linear: ${total(goals.predictLinear)}`,
            '',
          ].join('\n'),
        );
      } finally {
        await prom.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
}
