/**
 * The headline evaluation: a scorer grid run over a labelled corpus, scored leave one category
 * out (loco.ts), with the in-sample figure (parameters and threshold chosen on the very series
 * they score) as a secondary line.
 */
import { NAB_PROFILE_NAMES, scoreNab } from './nab';
import type { NabProfileName, NabProfileResult } from './nab';
import { chooseOnTraining, leaveOneCategoryOut } from './loco';
import type { Choice, LocoReport } from './loco';
import { loadLabelledCorpus, scoreCorpus } from './evaluate';
import type { LabelledSeries } from './evaluate';
import { singleCandidate } from './eval-grid';
import type { GridCandidate } from './eval-grid';
import type { SeriesScorerConfigInput } from '../detectors/scorer';

export interface LocoEvaluationOptions {
  readonly dataDir: string;
  readonly windowsFile: string;
  /** Base scorer configuration (the grid varies a few settings on top of it). */
  readonly scorer?: SeriesScorerConfigInput;
  /** Candidates to choose from (default: singleCandidate(scorer), the headline: only the threshold is chosen). */
  readonly grid?: readonly GridCandidate[];
  readonly profiles?: readonly NabProfileName[];
  readonly filter?: string;
  readonly probationPercent?: number;
}

export interface InSampleResult {
  readonly choice: Choice;
  readonly result: NabProfileResult;
}

export interface LocoEvaluation {
  readonly files: string[];
  readonly rows: number;
  readonly windows: number;
  readonly candidates: readonly GridCandidate[];
  readonly loco: LocoReport;
  readonly inSample: Record<NabProfileName, InSampleResult>;
  /** Rows scored per second, single thread, over every candidate. */
  readonly rowsPerSecond: number;
}

/** Scores a loaded corpus with every candidate, then runs both protocols. */
export function evaluateLocoOn(
  corpus: readonly LabelledSeries[],
  grid: readonly GridCandidate[],
  profiles: readonly NabProfileName[] = NAB_PROFILE_NAMES,
  probationPercent = 0.15,
): LocoEvaluation {
  let ms = 0;
  let rows = 0;
  const scored = grid.map((c) => {
    const r = scoreCorpus(corpus, { scorer: c.config, probationPercent });
    ms += r.scoringMs;
    rows += r.rows;
    return r.series;
  });
  const loco = leaveOneCategoryOut(scored, profiles, probationPercent);
  const all = corpus.map((_, i) => i);
  const choices = chooseOnTraining(scored, all, profiles, probationPercent);
  const inSample = {} as Record<NabProfileName, InSampleResult>;
  let windows = 0;
  for (const p of profiles) {
    const choice = choices[p];
    const report = scoreNab(scored[choice.candidate]!, { profiles: [p], threshold: choice.threshold, probationPercent });
    inSample[p] = { choice, result: report.profiles[p] };
    windows = report.windows;
  }
  return {
    files: corpus.map((s) => s.name),
    rows: corpus.reduce((a, s) => a + s.values.length, 0),
    windows,
    candidates: grid,
    loco,
    inSample,
    rowsPerSecond: ms > 0 ? (rows / ms) * 1000 : 0,
  };
}

export async function evaluateLoco(opts: LocoEvaluationOptions): Promise<LocoEvaluation> {
  const corpus = await loadLabelledCorpus(opts);
  return evaluateLocoOn(corpus, opts.grid ?? singleCandidate(opts.scorer), opts.profiles, opts.probationPercent);
}
