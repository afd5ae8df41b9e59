/**
 * commander builders for `lepton-dr predict score FILE.csv` and
 * `lepton-dr predict eval --data DIR --windows FILE` (leave-one-category-out, then in-sample); the CLI only has to
 * `program.addCommand(predictCommand())`. A global `--json` option (on the root program) is
 * honoured through optsWithGlobals().
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command, InvalidArgumentError } from 'commander';
import { BadInputError } from '../../common/errors';
import { parseOrThrow } from '../../common/zod-errors';
import { evaluateCorpus, loadLabelledCorpus } from '../../predict/eval/evaluate';
import { evaluateRobustness } from '../../predict/eval/robustness';
import { axesGrid, smallGrid, singleCandidate } from '../../predict/eval/eval-grid';
import { evaluateLoco } from '../../predict/eval/loco-eval';
import type { LocoEvaluation } from '../../predict/eval/loco-eval';
import { NAB_PROFILE_NAMES, summariseNab } from '../../predict/eval/nab';
import type { NabProfileName } from '../../predict/eval/nab';
import { scoreCsv } from '../../predict/eval/score-file';
import { seriesScorerConfigSchema } from '../../predict/detectors/scorer';
import type { SeriesScorerConfigInput } from '../../predict/detectors/scorer';
import { predictForecastEvalCommand } from './predict-forecast';

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function numArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
}

function scorerConfig(json: string | undefined, warmup: number | undefined): SeriesScorerConfigInput {
  let base: unknown = {};
  if (json) {
    try {
      base = JSON.parse(json);
    } catch {
      throw new BadInputError('--config: not JSON');
    }
  }
  const parsed = parseOrThrow(seriesScorerConfigSchema.partial(), base, 'scorer config') as SeriesScorerConfigInput;
  return warmup === undefined ? parsed : { ...parsed, warmup };
}

export function predictScoreCommand(): Command {
  return new Command('score')
    .description('score a NAB-style CSV (timestamp,value) causally; writes timestamp,value,anomaly_score')
    .argument('<file>', 'input CSV')
    .option('-o, --out <file>', 'output CSV (default: stdout)')
    .option('--warmup <points>', 'points before any score (default: 15% of the rows, at most 750, as NAB)', intArg)
    .option('--precision <digits>', 'digits after the decimal point', intArg)
    .option('--config <json>', 'scorer configuration as JSON (see SeriesScorer)')
    .action(async (file: string, opts: { out?: string; warmup?: number; precision?: number; config?: string }, cmd: Command) => {
      const scorer = scorerConfig(opts.config, opts.warmup);
      const out = opts.out ? createWriteStream(opts.out) : process.stdout;
      const summary = await scoreCsv(file, out, { scorer, ...(opts.precision !== undefined ? { precision: opts.precision } : {}) });
      if (opts.out) {
        const ws = out as ReturnType<typeof createWriteStream>;
        ws.end();
        await once(ws, 'finish');
        const json = (cmd.optsWithGlobals() as { json?: boolean }).json;
        process.stderr.write(
          json
            ? `${JSON.stringify(summary)}\n`
            : `${summary.rows} rows scored (warm-up ${summary.warmup}), ${summary.alarms} at or above 0.5, max ${summary.maxScore.toFixed(3)} -> ${opts.out}\n`,
        );
      }
    });
}

function fixedThresholdLines(r: Awaited<ReturnType<typeof evaluateCorpus>>): string[] {
  const s = summariseNab(r.report);
  const lines = [
    `${r.files.length} series, ${r.report.rows} rows, ${r.report.windows} windows, ${Math.round(r.rowsPerSecond)} rows/s (one configuration, fixed threshold)`,
  ];
  lines.push('profile              score   threshold  precision  recall  tp  fp  fn  lead(min before window end)');
  for (const [name, v] of Object.entries(s)) {
    lines.push(
      `${name.padEnd(20)} ${v.score.toFixed(2).padStart(6)}  ${v.threshold.toFixed(4).padStart(9)}  ${v.precision.toFixed(3).padStart(9)}  ${v.recall.toFixed(3).padStart(6)}  ${String(v.tp).padStart(2)}  ${String(v.fp).padStart(2)}  ${String(v.fn).padStart(2)}  ${v.meanLeadBeforeEndMin ?? '-'}`,
    );
  }
  return lines;
}

function row(name: string, score: number, precision: number, recall: number, tp: number, fp: number, fn: number): string {
  return `${name.padEnd(20)} ${score.toFixed(2).padStart(6)}  ${precision.toFixed(3).padStart(9)}  ${recall.toFixed(3).padStart(6)}  ${String(tp).padStart(3)}  ${String(fp).padStart(3)}  ${String(fn).padStart(3)}`;
}

function locoLines(r: LocoEvaluation): string[] {
  const lines = [
    `${r.files.length} series, ${r.rows} rows, ${r.windows} windows, ${r.candidates.length} candidate configurations, ${Math.round(r.rowsPerSecond)} rows/s`,
  ];
  const chosen = r.candidates.length > 1 ? `configuration (of ${r.candidates.length}) and threshold` : 'threshold';
  lines.push('', `leave-one-category-out (${chosen} chosen on three categories, scored on the fourth)`);
  lines.push('profile               score  precision  recall   tp   fp   fn');
  for (const p of Object.values(r.loco)) lines.push(row(p.profile, p.score, p.precision, p.recall, p.truePositives, p.falsePositives, p.falseNegatives));
  for (const p of Object.values(r.loco)) {
    for (const f of p.folds) {
      const held = f.heldOutScore === null ? `raw ${f.rawScore.toFixed(2)} (no windows)` : f.heldOutScore.toFixed(2);
      lines.push(
        `  ${p.profile} held out ${f.heldOut}: ${r.candidates[f.choice.candidate]!.label}, threshold ${f.choice.threshold.toFixed(4)}, train ${f.choice.trainScore.toFixed(2)}${f.choice.candidate > 0 ? ` (gain t ${f.choice.gainT.toFixed(2)})` : ''}, held-out ${held}`,
      );
    }
  }
  lines.push('', 'in-sample (secondary: configuration and threshold chosen on the very series they score)');
  lines.push('profile               score  precision  recall   tp   fp   fn');
  for (const [name, { choice, result: x }] of Object.entries(r.inSample)) {
    lines.push(
      `${row(name, x.score, x.precision, x.recall, x.truePositives, x.falsePositives, x.falseNegatives)}  ${r.candidates[choice.candidate]!.label}, threshold ${choice.threshold.toFixed(4)}`,
    );
  }
  return lines;
}

function robustnessLines(runs: ReturnType<typeof evaluateRobustness>): string[] {
  const lines = ['corpus                                             windows  LOCO std  low FP  low FN  precision / recall  in-sample std'];
  for (const { name, evaluation: r } of runs) {
    const s = r.loco.standard;
    lines.push(
      `${name.padEnd(50)} ${String(r.windows).padStart(7)}  ${s.score.toFixed(2).padStart(8)}  ${r.loco.reward_low_FP_rate.score.toFixed(2).padStart(6)}  ${r.loco.reward_low_FN_rate.score.toFixed(2).padStart(6)}  ${s.precision.toFixed(3)} / ${s.recall.toFixed(3)}       ${r.inSample.standard.result.score.toFixed(2).padStart(6)}`,
    );
  }
  return lines;
}

export function predictEvalCommand(): Command {
  return new Command('eval')
    .description("score a detector on labelled series with NAB's rules, leave one category out (and in-sample, as a secondary figure)")
    .requiredOption('--data <dir>', 'directory of CSV files, one folder per category')
    .requiredOption('--windows <file>', 'NAB windows JSON (relative path -> [[start, end], ...])')
    .option('--filter <text>', 'only files whose path contains this')
    .option(
      '--grid <name>',
      'candidate configurations: base (the configuration alone, only the threshold is chosen: the headline), small (an 18-candidate grid) or axes (34 candidates, one setting varied each)',
      'base',
    )
    .option('--threshold <score>', 'one configuration at a fixed threshold, in-sample only (no choice made)', numArg)
    .option('--profile <name>', `one profile (${NAB_PROFILE_NAMES.join(', ')})`)
    .option('--config <json>', 'base scorer configuration as JSON (see SeriesScorer)')
    .option('--windows-detail', 'with --json and --threshold: include every window result')
    .option('--robustness', 'the same protocol on the corpus transformed (scaled, every second row, noise, spikes injected where there were no anomalies)')
    .action(
      async (
        opts: {
          data: string;
          windows: string;
          filter?: string;
          grid: string;
          threshold?: number;
          profile?: string;
          config?: string;
          windowsDetail?: boolean;
          robustness?: boolean;
        },
        cmd: Command,
      ) => {
        if (opts.profile && !NAB_PROFILE_NAMES.includes(opts.profile as NabProfileName)) throw new BadInputError(`unknown profile ${opts.profile}`);
        const grids = { base: singleCandidate, small: smallGrid, axes: axesGrid };
        if (!Object.hasOwn(grids, opts.grid)) throw new BadInputError(`--grid: unknown grid ${opts.grid} (base, small or axes)`);
        const scorer = scorerConfig(opts.config, undefined);
        const json = (cmd.optsWithGlobals() as { json?: boolean }).json;
        const common = {
          dataDir: opts.data,
          windowsFile: opts.windows,
          ...(opts.filter ? { filter: opts.filter } : {}),
          ...(opts.profile ? { profiles: [opts.profile as NabProfileName] } : {}),
        };
        if (opts.threshold !== undefined) {
          const r = await evaluateCorpus({ ...common, scorer, threshold: opts.threshold });
          if (json) {
            const profiles = Object.fromEntries(
              Object.entries(r.report.profiles).map(([k, p]) => [k, opts.windowsDetail ? p : { ...p, windowResults: undefined, perSeries: undefined }]),
            );
            process.stdout.write(
              `${JSON.stringify({ files: r.files.length, rows: r.report.rows, windows: r.report.windows, rowsPerSecond: Math.round(r.rowsPerSecond), profiles }, null, 2)}\n`,
            );
          } else process.stdout.write(`${fixedThresholdLines(r).join('\n')}\n`);
          return;
        }
        const grid = grids[opts.grid as keyof typeof grids](scorer);
        if (opts.robustness) {
          const runs = evaluateRobustness(await loadLabelledCorpus(common), grid);
          if (json)
            process.stdout.write(
              `${JSON.stringify(
                runs.map((r) => ({ corpus: r.name, leaveOneCategoryOut: r.evaluation.loco })),
                null,
                2,
              )}\n`,
            );
          else process.stdout.write(`${robustnessLines(runs).join('\n')}\n`);
          return;
        }
        const r = await evaluateLoco({ ...common, grid });
        if (json) {
          const inSample = Object.fromEntries(
            Object.entries(r.inSample).map(([k, v]) => [k, { choice: v.choice, ...v.result, windowResults: undefined, perSeries: undefined }]),
          );
          process.stdout.write(
            `${JSON.stringify({ files: r.files.length, rows: r.rows, windows: r.windows, rowsPerSecond: Math.round(r.rowsPerSecond), candidates: r.candidates.map((c) => c.label), leaveOneCategoryOut: r.loco, inSample }, null, 2)}\n`,
          );
        } else process.stdout.write(`${locoLines(r).join('\n')}\n`);
      },
    );
}

/** `predict` with its subcommands. */
export function predictCommand(): Command {
  return new Command('predict')
    .description('prediction: score series, evaluate detectors and forecasts')
    .addCommand(predictScoreCommand())
    .addCommand(predictEvalCommand())
    .addCommand(predictForecastEvalCommand());
}
