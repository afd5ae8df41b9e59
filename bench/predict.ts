import { existsSync } from 'node:fs';
import path from 'node:path';
import { evaluateLoco } from '../src/predict/eval/loco-eval';
import { singleCandidate, smallGrid } from '../src/predict/eval/eval-grid';
import { LevelDetector } from '../src/predict/detectors/level';
import { SeasonalDetector } from '../src/predict/detectors/seasonal';
import { TimeToLimitForecaster } from '../src/predict/detectors/trend';
import { LIMIT_FORECAST_SETTINGS } from '../src/predict/detectors/trend-config';
import { generateTraces } from '../src/predict/eval/forecast-traces';
import { ourTrendConfig } from '../src/predict/eval/forecast-eval';
import { SeriesScorer } from '../src/predict/detectors/scorer';
import { ArtDetector } from '../src/predict/detectors/art';
import type { Sample } from '../src/predict/series';

/**
 * Prediction benchmark: streaming throughput of each detector (points per CPU second, one thread: the loop
 * is single-threaded) over a few million points of a noisy daily-seasonal series with spikes
 * and shifts, and the NAB scores on ../shared/datasets/nab (if present).
 *
 * and the NAB scores on ../shared/datasets/nab (if present): leave one category out as the
 * headline (loco.ts), in-sample as a secondary figure.
 *
 * Keys: predict_<detector>_points_per_s (trend_limit, scorer_limit: with a site limit's settings; art, scorer_art: the adaptive-resonance detector),
 * predict_forecast_traces_points_per_s (the forecaster with those settings over forecast-eval's traces),
 * predict_nab_loco_threshold_only_{standard,low_fp,low_fn,precision,recall} (the headline: the default
 * configuration alone, only the threshold chosen on the training folds), predict_nab_loco_grid_{standard,low_fp,low_fn}
 * (the 18-candidate grid, a candidate replacing the defaults only with a significant training gain, loco.ts),
 * predict_nab_loco_grid_non_base_choices (how many of the 4 folds x 3 profiles chose another candidate than the
 * defaults), predict_nab_in_sample_{standard,low_fp,low_fn} (the defaults, threshold chosen on all 35 series),
 * predict_nab_in_sample_lead_before_end_min, predict_nab_rows_per_s.
 */

function projectRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}

/** Deterministic test signal: daily season (288 points), noise, spikes, a level shift. */
function signal(n: number): Float64Array {
  let a = 12345;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    v[i] = 50 + 10 * Math.sin((2 * Math.PI * i) / 288) + 4 * (rand() + rand() + rand() - 1.5) + (rand() < 0.001 ? 40 : 0) + (i % 500_000 > 250_000 ? 15 : 0);
  }
  return v;
}

/**
 * CPU seconds of this process since `t0` (user + system): the machine is shared, and wall time
 * counts the slices other processes run in; CPU time counts only this one's work.
 */
function cpuSeconds(t0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e6;
}

function throughput(values: Float64Array, update: (s: Sample) => number): number {
  const s: Sample = { t: 0, v: 0 };
  let sink = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < values.length; i++) {
    s.t = i * 300_000;
    s.v = values[i]!;
    sink += update(s);
  }
  const secs = cpuSeconds(t0);
  if (Number.isNaN(sink)) throw new Error('NaN score');
  return values.length / secs;
}

/**
 * The forecaster as a site's limits run it (LIMIT_FORECAST_SETTINGS), over the labelled traces
 * `predict forecast-eval` scores (seeds 1..3, 6 per family, 5 min step, 4 h horizon, 12 h
 * window), a new forecaster per trace, as the evaluation runs it.
 */
function forecastTracesThroughput(): number {
  const o = { stepMs: 300_000, horizonMs: 4 * 3600_000, windowMs: 12 * 3600_000 };
  const traces = [1, 2, 3].flatMap((seed) => generateTraces({ seed, stepMs: o.stepMs, perFamily: 6 }));
  const run = (reps: number): number => {
    let points = 0;
    let sink = 0;
    const t0 = process.cpuUsage();
    for (let r = 0; r < reps; r++) {
      for (const tr of traces) {
        const d = new TimeToLimitForecaster(ourTrendConfig(tr, o));
        for (const s of tr.samples) sink += d.update(s);
        points += tr.samples.length;
      }
    }
    const secs = cpuSeconds(t0);
    if (Number.isNaN(sink)) throw new Error('NaN score');
    return points / secs;
  };
  run(1);
  return Math.round(run(5));
}

export async function benchPredict(opts: { points?: number } = {}): Promise<Record<string, number>> {
  const n = opts.points ?? 3_000_000;
  const values = signal(n);
  const out: Record<string, number> = {};
  const detectors: Record<string, () => (s: Sample) => number> = {
    level: () => {
      const d = new LevelDetector({ warmup: 600 });
      return (s) => d.update(s);
    },
    seasonal: () => {
      const d = new SeasonalDetector({ warmup: 600, period: 288 });
      return (s) => d.update(s);
    },
    trend: () => {
      const d = new TimeToLimitForecaster({ limit: 200, leadTimeMs: 4 * 3600_000 });
      return (s) => d.update(s);
    },
    // with a site limit's settings (level shifts, the daily forecast) and a limit the shifted half's peaks approach
    trend_limit: () => {
      const d = new TimeToLimitForecaster({ ...LIMIT_FORECAST_SETTINGS, limit: 80, leadTimeMs: 4 * 3600_000 });
      return (s) => d.update(s);
    },
    scorer_limit: () => {
      const d = new SeriesScorer({ warmup: 600, seasonal: { period: 288 }, trend: { ...LIMIT_FORECAST_SETTINGS, limit: 80, leadTimeMs: 4 * 3600_000 } });
      return (s) => d.update(s);
    },
    scorer: () => {
      const d = new SeriesScorer({ warmup: 600, seasonal: { period: 288 }, trend: { limit: 200, leadTimeMs: 4 * 3600_000 } });
      return (s) => d.update(s);
    },
    // the adaptive-resonance detector (off by default) alone and added to the combined scorer
    art: () => {
      const d = new ArtDetector({ warmup: 600 });
      return (s) => d.update(s);
    },
    scorer_art: () => {
      const d = new SeriesScorer({ warmup: 600, seasonal: { period: 288 }, art: {}, trend: { limit: 200, leadTimeMs: 4 * 3600_000 } });
      return (s) => d.update(s);
    },
  };
  // a short warm-up run lets the JIT settle, then the measured run
  for (const [name, make] of Object.entries(detectors)) {
    throughput(values.subarray(0, 200_000), make());
    out[`predict_${name}_points_per_s`] = Math.round(throughput(values, make()));
  }
  out.predict_forecast_traces_points_per_s = forecastTracesThroughput();
  const nab = path.join(projectRoot(), '..', 'shared', 'datasets', 'nab');
  if (existsSync(path.join(nab, 'combined_windows.json'))) {
    // headline: leave one category out choosing only the threshold; the grid and in-sample as secondary lines
    const opts = { dataDir: path.join(nab, 'data'), windowsFile: path.join(nab, 'combined_windows.json') };
    const t = await evaluateLoco({ ...opts, grid: singleCandidate() });
    const round = (x: number): number => Math.round(x * 100) / 100;
    const l = t.loco;
    out.predict_nab_loco_threshold_only_standard = round(l.standard.score);
    out.predict_nab_loco_threshold_only_low_fp = round(l.reward_low_FP_rate.score);
    out.predict_nab_loco_threshold_only_low_fn = round(l.reward_low_FN_rate.score);
    out.predict_nab_loco_threshold_only_precision = Math.round(l.standard.precision * 1000) / 1000;
    out.predict_nab_loco_threshold_only_recall = Math.round(l.standard.recall * 1000) / 1000;
    const g = await evaluateLoco({ ...opts, grid: smallGrid() });
    out.predict_nab_loco_grid_standard = round(g.loco.standard.score);
    out.predict_nab_loco_grid_low_fp = round(g.loco.reward_low_FP_rate.score);
    out.predict_nab_loco_grid_low_fn = round(g.loco.reward_low_FN_rate.score);
    out.predict_nab_loco_grid_non_base_choices = Object.values(g.loco).reduce((a, p) => a + p.folds.filter((f) => f.choice.candidate !== 0).length, 0);
    const s = t.inSample;
    out.predict_nab_in_sample_standard = round(s.standard.result.score);
    out.predict_nab_in_sample_low_fp = round(s.reward_low_FP_rate.result.score);
    out.predict_nab_in_sample_low_fn = round(s.reward_low_FN_rate.result.score);
    out.predict_nab_in_sample_lead_before_end_min = Math.round((s.standard.result.meanLeadBeforeEndMs ?? 0) / 60_000);
    out.predict_nab_rows_per_s = Math.round(t.rowsPerSecond);
  }
  return out;
}

if (require.main === module) {
  benchPredict({ points: Number(process.argv[2]) || undefined })
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
