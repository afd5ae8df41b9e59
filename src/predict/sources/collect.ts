/**
 * The loop's collection step and training's history, over every source of a site: Prometheus
 * range queries, log pattern counts (from a saved cursor), pushed samples and CSV files. Series
 * keys are shared by training and scoring (site-config.ts: querySeriesKey, logSeriesKey), so a
 * model always knows the series the loop will give it.
 */
import { countLogMatches, EMPTY_LOG_CURSOR } from './log-counter';
import type { LogCursor } from './log-counter';
import { readCsv } from './csv';
import { queryRange } from './prometheus';
import type { Sample } from '../series';
import { logSeriesKey, querySeriesKey } from '../site-config';
import type { PredictionSiteConfig } from '../site-config';

export interface CollectRequest {
  config: PredictionSiteConfig;
  /** End of the previous collection (null: first of the run, look back `backfill`). */
  since: number | null;
  /** Collect up to here (the loop's clock minus the lag). */
  until: number;
  logCursors: Record<string, LogCursor>;
}

export interface CollectStats {
  queries: number;
  series: number;
  points: number;
  logLines: number;
  logMatches: number;
  errors: string[];
}

export interface CollectResult {
  batch: Record<string, Sample[]>;
  logCursors: Record<string, LogCursor>;
  stats: CollectStats;
}

/** Longest range one collection asks Prometheus for (a loop paused for days does not fetch days). */
export const MAX_COLLECT_RANGE_MS = 6 * 3600_000;

function add(batch: Record<string, Sample[]>, key: string, samples: readonly Sample[]): number {
  const list = (batch[key] ??= []);
  for (const s of samples) list.push({ t: s.t, v: s.v });
  return samples.length;
}

async function promSeries(config: PredictionSiteConfig, from: number, to: number, batch: Record<string, Sample[]>, stats: CollectStats): Promise<void> {
  const prom = config.prometheus;
  if (!prom || !config.queries.length) return;
  const stepMs = Math.max(1000, Math.round(config.step));
  const results = await Promise.allSettled(config.queries.map((q) => queryRange(prom, { query: q.query, start: from, end: to, stepMs })));
  results.forEach((r, i) => {
    const q = config.queries[i];
    stats.queries++;
    if (r.status === 'rejected') {
      stats.errors.push(`query ${q.name}: ${(r.reason as Error).message}`);
      return;
    }
    for (const s of r.value) {
      stats.series++;
      stats.points += add(batch, querySeriesKey(q.name, s.labels), s.samples);
    }
  });
}

/** One collection: Prometheus over [since - 2 steps, until], and log counts of the intervals closed by `until`. */
export async function collectSamples(req: CollectRequest): Promise<CollectResult> {
  const { config, until } = req;
  const stats: CollectStats = { queries: 0, series: 0, points: 0, logLines: 0, logMatches: 0, errors: [] };
  const batch: Record<string, Sample[]> = {};
  const step = config.step;
  const from = Math.max(until - MAX_COLLECT_RANGE_MS, (req.since ?? until - config.backfill) - 2 * step);
  if (until > from) await promSeries(config, from, until, batch, stats);
  const logCursors: Record<string, LogCursor> = {};
  for (const src of config.logs) {
    const cursor = req.logCursors[src.name] ?? EMPTY_LOG_CURSOR;
    try {
      const r = await countLogMatches(
        {
          path: src.path,
          patterns: src.patterns,
          intervalMs: Math.max(1, Math.round(step)),
          ...(src.timestampRegex ? { timestampRegex: src.timestampRegex } : {}),
          ...(src.rotatedPaths ? { rotatedPaths: src.rotatedPaths } : {}),
        },
        cursor,
        until,
      );
      logCursors[src.name] = r.cursor;
      stats.logLines += r.stats.lines;
      stats.logMatches += r.stats.matched;
      for (const [pattern, samples] of Object.entries(r.samples)) add(batch, logSeriesKey(src.name, pattern), samples);
    } catch (e) {
      logCursors[src.name] = cursor;
      stats.errors.push(`log ${src.name}: ${(e as Error).message}`);
    }
  }
  return { batch, logCursors, stats };
}

export interface HistoryResult {
  history: Record<string, Sample[]>;
  sources: { prometheusSeries: number; csvFiles: number; points: number; errors: string[] };
}

/**
 * A training history: Prometheus over [until - windowMs, until], CSV files, and empty series for
 * every log pattern and declared pushed series (so the model knows them and learns them live).
 * Prometheus failures are errors (a model trained without its main source would be wrong).
 */
export async function trainingHistory(config: PredictionSiteConfig, until: number, windowMs: number): Promise<HistoryResult> {
  const history: Record<string, Sample[]> = {};
  const sources = { prometheusSeries: 0, csvFiles: 0, points: 0, errors: [] as string[] };
  const prom = config.prometheus;
  if (prom && config.queries.length) {
    const stepMs = Math.max(1000, Math.round(config.step));
    for (const q of config.queries) {
      const series = await queryRange(prom, { query: q.query, start: until - windowMs, end: until, stepMs });
      for (const s of series) {
        sources.prometheusSeries++;
        sources.points += add(history, querySeriesKey(q.name, s.labels), s.samples);
      }
    }
  }
  for (const c of config.training.csv) {
    const csv = await readCsv(c.file);
    const samples: Sample[] = [];
    for (let i = 0; i < csv.timestamps.length; i++) samples.push({ t: csv.timestamps[i], v: csv.values[i] });
    sources.csvFiles++;
    sources.points += add(history, c.series, samples);
  }
  for (const src of config.logs) for (const p of src.patterns) history[logSeriesKey(src.name, p.name)] ??= [];
  for (const p of config.pushed) history[p.series] ??= [];
  for (const k of Object.keys(history)) history[k].sort((a, b) => a.t - b.t);
  return { history, sources };
}
