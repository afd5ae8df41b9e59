import { Context } from '@temporalio/activity';
import { Client, type ConnectionLike } from '@temporalio/client';
import { z } from 'zod';
import { BadInputError } from '../common/errors';
import { logger } from '../common/logger';
import { parseOrThrow } from '../common/zod-errors';
import { NameSchema } from '../common/schema-primitives';
import type { Plan } from '../config/plan-schema';
import { sealedStore } from '../engine/repo/sealed-store';
import type { Repository } from '../engine/repo/repository';
import {
  busyFraction,
  collectSamples,
  decisionPolicyOf,
  initialPredictorState,
  lagOf,
  latestModelVersion,
  limitsFor,
  logCursorSchema,
  ModelCache,
  modelVersionAt,
  predictorStateSchema,
  pruneModels,
  resolvePredictionConfig,
  saveModel,
  scoreBatch,
  sendWarning,
  siteAssets,
  trainingHistory,
  trainModel,
  warningEventSchema,
  type Interval,
  type LogCursor,
  type PredictionSiteConfig,
  type PredictorState,
  type Sample,
  type SinkResult,
} from '../predict';
import type { DecisionPolicy } from '../contracts/prediction-inputs';
import type { LoopReason, TrainOutput } from '../contracts/prediction-types';
import { mapFailure } from './failure';
import { predictWorkKey, predictWorkPrefix } from '../engine/repo/layout';
import { reportProgress } from './progress';

/**
 * The activities of the prediction loop and of training: thin, validated adapters over
 * src/predict. Large values (predictor state, big batches) go to the repository's store under
 * `predict/<site>/work/` and the workflow carries a reference, so its history stays small.
 */
export interface PredictionActivityDeps {
  plan: Plan;
  repo: Repository;
  /** The worker's connection: for the backup duty cycle (visibility). Without it P(B) is null. */
  connection?: ConnectionLike;
  /** Values at most this big travel inline in the workflow history (default 8 KiB; the worker passes LEPTON_DR_PREDICT_INLINE_BYTES). */
  inlineLimitBytes?: number;
}

const Site = NameSchema;
const Config = z.record(z.unknown()).optional();
const Gen = z.number().int().nonnegative();
const Millis = z.number().finite();
const GC_EVERY = 20;

/** A value kept inline (small) or in the store (large). */
export const HandleSchema = z
  .object({
    inline: z.unknown().optional(),
    ref: z.string().min(1).optional(),
    bytes: z.number().int().nonnegative(),
  })
  .strict()
  .refine((h) => (h.inline === undefined) !== (h.ref === undefined), { message: 'give exactly one of "inline" or "ref"' });
export type Handle = z.infer<typeof HandleSchema>;

export const StateHandleSchema = z.object({ modelVersion: z.string().min(1), value: HandleSchema }).strict();
export type StateHandle = z.infer<typeof StateHandleSchema>;

export interface PredictionSettings {
  policy: DecisionPolicy;
  /** Asset names of the plan (pre-emptive backups may only name these). */
  planAssets: string[];
  failoverCapable: boolean;
  assets: string[];
  lagMs: number;
  stepMs: number;
  dutyWindowMs: number;
  maxIterationsPerRun: number;
  sinks: { log: boolean; webhook: boolean; alertmanager: boolean };
  sources: { queries: number; logs: number; pushed: number; csv: number };
  /** Retrain on a schedule (trainingWorkflow), per the config. */
  trainingScheduled: boolean;
}

export interface CollectOutput {
  batch: Handle;
  logCursors: Record<string, LogCursor>;
  points: number;
  series: number;
  errors: string[];
  /** Backup duty cycle P(B) of the site's assets over the window (null: unknown). */
  backupDuty: number | null;
  computeMs: number;
}

export interface ScoreOutput {
  risk: number;
  reasons: LoopReason[];
  modelVersion: string | null;
  modelChanged: boolean;
  state: StateHandle | null;
  stateBytes: number;
  points: number;
  series: number;
  unknownSeries: string[];
  forecasts: { series: string; etaMs: number | null; confidence: number }[];
  computeMs: number;
}

const SampleSchema = z.object({ t: z.number().finite(), v: z.number() }).strict();
const BatchSchema = z.record(z.string(), z.array(SampleSchema));

export function createPredictionActivities(deps: PredictionActivityDeps) {
  const { plan, repo } = deps;
  // models, predictor state and metric batches are sealed like the data in an encrypted repository
  const store = sealedStore(repo);
  const inlineLimit = deps.inlineLimitBytes ?? 8 * 1024;
  const models = new ModelCache();
  const baseDir = plan.baseDir ?? process.cwd();
  const client = deps.connection ? new Client({ connection: deps.connection, namespace: plan.temporal.namespace }) : null;
  const log = logger().child({ component: 'prediction' });

  const configOf = (site: string, inline: unknown): { config: PredictionSiteConfig; failoverCapable: boolean } =>
    resolvePredictionConfig(plan, site, inline, baseDir);

  async function putHandle(site: string, what: 'state' | 'batch', gen: number, value: unknown): Promise<Handle> {
    const text = JSON.stringify(value);
    const bytes = Buffer.byteLength(text);
    if (bytes <= inlineLimit) return { inline: value, bytes };
    const ref = predictWorkKey(site, what, gen);
    await store.put(ref, Buffer.from(text));
    return { ref, bytes };
  }

  async function getHandle(h: Handle): Promise<unknown> {
    if (h.ref === undefined) return h.inline;
    return JSON.parse((await store.get(h.ref)).toString('utf8')) as unknown;
  }

  /**
   * Work objects no run references any more: every object under predict/<site>/work/ but the ones
   * this call reads or wrote (one loop per site, so nothing else is in use; a retry of this call
   * uses the same keys). Listed every GC_EVERY generations, so garbage stays bounded.
   */
  async function collectGarbage(site: string, gen: number, keep: (string | undefined)[]): Promise<number> {
    if (gen % GC_EVERY !== 1) return 0;
    const keepSet = new Set(keep.filter((k): k is string => Boolean(k)));
    let n = 0;
    for (const o of await store.list(predictWorkPrefix(site))) {
      if (keepSet.has(o.key)) continue;
      await store.delete(o.key).catch(() => undefined);
      n++;
    }
    return n;
  }

  async function backupDuty(assets: string[], windowMs: number, now: number): Promise<number | null> {
    if (!client || assets.length === 0) return assets.length === 0 ? 0 : null;
    const from = now - windowMs;
    const list = assets.map((a) => `'${a.replace(/'/g, '')}'`).join(', ');
    const query = `WorkflowType = 'backupWorkflow' AND LeptonAsset IN (${list}) AND (ExecutionStatus = 'Running' OR CloseTime > '${new Date(from).toISOString()}')`;
    const intervals: Interval[] = [];
    try {
      for await (const w of client.workflow.list({ query, pageSize: 200 })) {
        intervals.push({ start: w.startTime.getTime(), end: w.closeTime ? w.closeTime.getTime() : null });
        if (intervals.length >= 1000) break;
      }
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'backup duty cycle: visibility query failed');
      return null;
    }
    return busyFraction(intervals, from, now);
  }

  return {
    /** The site's policy and what the loop needs to know of its config (validated, named errors). */
    async predictionSettings(raw: unknown): Promise<PredictionSettings> {
      return mapFailure(async () => {
        const i = parseOrThrow(z.object({ site: Site, config: Config }).strict(), raw, 'prediction settings input');
        const { config, failoverCapable } = configOf(i.site, i.config);
        const planAssets = plan.assets.map((a) => a.name);
        const unknown = config.policy.preemptiveBackup.assets.filter((a) => !planAssets.includes(a));
        if (unknown.length) {
          throw new BadInputError(
            `prediction of site ${i.site}: policy.preemptiveBackup.assets: ${unknown.map((a) => `"${a}"`).join(', ')} not in the plan (assets: ${planAssets.join(', ') || 'none'})`,
          );
        }
        return {
          policy: decisionPolicyOf(config),
          planAssets,
          failoverCapable,
          assets: siteAssets(config),
          lagMs: lagOf(config),
          stepMs: config.step,
          dutyWindowMs: config.dutyWindow,
          maxIterationsPerRun: config.maxIterationsPerRun,
          sinks: { log: config.sinks.log, webhook: Boolean(config.sinks.webhook), alertmanager: Boolean(config.sinks.alertmanager) },
          sources: { queries: config.queries.length, logs: config.logs.length, pushed: config.pushed.length, csv: config.training.csv.length },
          trainingScheduled: Boolean(config.training.schedule),
        };
      });
    },

    /** Collect: Prometheus range queries and log counts since the last collection, plus the pushed samples. */
    async collectSignals(raw: unknown): Promise<CollectOutput> {
      return mapFailure(async () => {
        const t0 = performance.now();
        const i = parseOrThrow(
          z
            .object({
              site: Site,
              config: Config,
              gen: Gen,
              since: Millis.nullable(),
              until: Millis,
              logCursors: z.record(z.string(), logCursorSchema),
              pushed: BatchSchema,
              assets: z.array(z.string()),
              dutyWindowMs: z.number().int().positive(),
            })
            .strict(),
          raw,
          'collect input',
        );
        const { config } = configOf(i.site, i.config);
        const r = await collectSamples({ config, since: i.since, until: i.until, logCursors: i.logCursors });
        for (const [k, samples] of Object.entries(i.pushed)) (r.batch[k] ??= []).push(...samples);
        const points = Object.values(r.batch).reduce((n, s) => n + s.length, 0);
        const batch = await putHandle(i.site, 'batch', i.gen, r.batch);
        const duty = await backupDuty(i.assets, i.dutyWindowMs, i.until);
        if (r.stats.errors.length) Context.current().log.warn('collection errors', { site: i.site, errors: r.stats.errors });
        return {
          batch,
          logCursors: r.logCursors,
          points,
          series: Object.keys(r.batch).length,
          errors: r.stats.errors,
          backupDuty: duty,
          computeMs: performance.now() - t0,
        };
      });
    },

    /** Score: the newest model of the site over the batch, continuing from the carried predictor state. */
    async scorePrediction(raw: unknown): Promise<ScoreOutput> {
      return mapFailure(async () => {
        const t0 = performance.now();
        const i = parseOrThrow(
          z.object({ site: Site, gen: Gen, state: StateHandleSchema.nullable(), batch: HandleSchema, until: Millis }).strict(),
          raw,
          'score input',
        );
        const version = await latestModelVersion(store, i.site);
        if (!version) {
          return {
            risk: 0,
            reasons: [],
            modelVersion: null,
            modelChanged: i.state !== null,
            state: null,
            stateBytes: 0,
            points: 0,
            series: 0,
            unknownSeries: [],
            forecasts: [],
            computeMs: performance.now() - t0,
          };
        }
        const model = await models.get(store, i.site, version);
        const changed = i.state?.modelVersion !== version;
        const state: PredictorState = changed
          ? initialPredictorState(model)
          : parseOrThrow(predictorStateSchema, await getHandle(i.state!.value), 'predictor state');
        const batch = parseOrThrow(BatchSchema, await getHandle(i.batch), 'batch') as Record<string, Sample[]>;
        const r = scoreBatch(model, state, batch, { until: i.until });
        const value = await putHandle(i.site, 'state', i.gen, r.state);
        await collectGarbage(i.site, i.gen, [i.state?.value.ref, i.batch.ref, value.ref]);
        const forecasts = Object.entries(r.series)
          .filter(([, o]) => o.forecast)
          .map(([series, o]) => ({ series, etaMs: o.forecast!.etaMs, confidence: o.forecast!.confidence }))
          .sort((a, b) => (a.etaMs ?? Infinity) - (b.etaMs ?? Infinity))
          .slice(0, 5);
        return {
          risk: r.assessment.risk,
          reasons: r.assessment.reasons.map((x) => ({
            source: x.series,
            detector: `${x.detector}/${x.feature}`,
            score: x.score,
            message: x.message,
            ...(x.etaMs !== undefined ? { etaMs: x.etaMs } : {}),
          })),
          modelVersion: version,
          modelChanged: changed,
          state: { modelVersion: version, value },
          stateBytes: value.bytes,
          points: Object.values(r.series).reduce((n, s) => n + s.points, 0),
          series: Object.keys(r.series).length,
          unknownSeries: r.unknownSeries.slice(0, 10),
          forecasts,
          computeMs: performance.now() - t0,
        };
      });
    },

    /** Warn: one event to the site's sinks (log, webhook, Alertmanager). Never fails for a sink: results say. */
    async sendPredictionWarning(raw: unknown): Promise<SinkResult[]> {
      return mapFailure(async () => {
        const i = parseOrThrow(z.object({ site: Site, config: Config, event: warningEventSchema }).strict(), raw, 'warning input');
        const { config } = configOf(i.site, i.config);
        const info = Context.current().info;
        return sendWarning(config.sinks, i.event, { log: log.child({ workflowId: info.workflowExecution?.workflowId, activityId: info.activityId }) });
      });
    },

    /** Train: fit a model on the site's history (Prometheus window and/or CSV) and store it as a new version. */
    async trainPredictionModel(raw: unknown): Promise<TrainOutput> {
      return mapFailure(async () => {
        const i = parseOrThrow(
          z.object({ site: Site, config: Config, until: Millis, windowMs: z.number().int().positive().optional(), salt: z.string().min(1) }).strict(),
          raw,
          'training input',
        );
        const { config } = configOf(i.site, i.config);
        const ctx = Context.current();
        const windowMs = i.windowMs ?? config.training.window;
        reportProgress({ phase: 'history' });
        const h = await trainingHistory(config, i.until, windowMs);
        reportProgress({ phase: 'fit', points: h.sources.points });
        const version = modelVersionAt(i.until, i.salt);
        const keys = Object.keys(h.history).sort();
        const model = trainModel(h.history, {
          stepMs: config.step,
          maxFillSteps: config.training.maxFillSteps,
          limits: limitsFor(config, keys),
          ...(config.training.scorer ? { scorer: config.training.scorer } : {}),
          ...(config.training.calibrate ? {} : { calibration: false as const }),
          until: i.until,
          createdAt: new Date(i.until).toISOString(),
        });
        const saved = await saveModel(store, i.site, version, model);
        const pruned = await pruneModels(store, i.site, config.training.keepModels);
        ctx.log.info('model trained', { site: i.site, version, series: keys.length, points: h.sources.points, bytes: saved.bytes });
        return {
          version,
          key: saved.key,
          bytes: saved.bytes,
          series: keys,
          points: h.sources.points,
          sources: { prometheusSeries: h.sources.prometheusSeries, csvFiles: h.sources.csvFiles },
          pruned,
        };
      });
    },
  };
}

export type PredictionActivities = ReturnType<typeof createPredictionActivities>;
