import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { logger, type Logger } from '../common/logger';
import type { TrainOutput } from '../contracts/prediction-types';
import { workflowRef } from '../contracts/workflows';
import type { PredictionSiteConfigInput } from '../predict/site-config';
import { predictionWorkflowId, type PredictionInput, type TrainingInput } from '../contracts/prediction-inputs';
import { DEMO_QUERIES, SimulatedSite, startMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint';
import { startPrometheus, type PrometheusServer } from './prometheus';

/**
 * The prediction part of the local demo: a simulated site exposing metrics, a real Prometheus
 * scraping it (config and TSDB under <stateDir>/prediction-demo), a model trained on the site's
 * normal history (CSV replay) and the site's predictionWorkflow reading Prometheus. Turning the
 * trouble knob on (`trouble(true)` or `curl -X POST <metricsUrl>/trouble`) makes the disk fill,
 * the GPU heat and errors climb: the loop warns, then backs up the demo assets pre-emptively.
 *
 * The site's config travels inline in the workflow input, so the demo plan needs no `sites:`
 * entry; the worker only needs the assets named in `assets` (pre-emptive backups).
 */
export interface PredictionDemoOptions {
  stateDir: string;
  temporalClient: Client;
  taskQueue: string;
  /** Site name (default "demo"): workflow ids predict-<site>, train-<site>-<time>. */
  site?: string;
  /** Plan assets to back up pre-emptively at the high level (default none). */
  assets?: string[];
  /** Model step and loop interval (default 15s each). */
  stepMs?: number;
  intervalMs?: number;
  scrapeIntervalMs?: number;
  /** Normal history replayed for training (default 6 h). */
  historyMs?: number;
  /** Turn the trouble knob on by itself after this long (default: never, manual). */
  troubleAfterMs?: number;
  /** Stop the loop workflow in stop() (default true: its Prometheus goes away with the demo). */
  stopLoopOnStop?: boolean;
  log?: Logger;
}

export interface PredictionDemo {
  site: string;
  workflowId: string;
  metricsUrl: string;
  prometheusUrl: string;
  model: TrainOutput;
  /** The inline prediction config the loop runs with. */
  config: PredictionSiteConfigInput;
  /** Turn the simulated trouble on or off. */
  trouble(on: boolean): void;
  stop(): Promise<void>;
}

const sec = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s`;

export async function startPredictionDemo(o: PredictionDemoOptions): Promise<PredictionDemo> {
  const log = (o.log ?? logger()).child({ component: 'prediction-demo' });
  const site = o.site ?? 'demo';
  const stepMs = o.stepMs ?? 15_000;
  const intervalMs = o.intervalMs ?? stepMs;
  const dir = path.join(o.stateDir, 'prediction-demo');
  fs.mkdirSync(dir, { recursive: true });
  const sim = new SimulatedSite({ seed: 42 });
  const cleanups: (() => Promise<void>)[] = [];
  let troubleTimer: NodeJS.Timeout | undefined;
  const stopAll = async () => {
    if (troubleTimer) clearTimeout(troubleTimer);
    // newest first: the loop, then Prometheus, then the endpoint
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const endpoint: MetricsEndpoint = await startMetricsEndpoint({ site: sim });
    cleanups.push(() => endpoint.close());
    const prom: PrometheusServer = await startPrometheus({
      dir: path.join(dir, 'prometheus'),
      targets: [endpoint.target],
      scrapeIntervalMs: o.scrapeIntervalMs ?? Math.min(5000, stepMs),
    });
    cleanups.push(() => prom.stop());
    const now = Date.now();
    const csv = sim.writeHistoryCsv(path.join(dir, 'history'), now - (o.historyMs ?? 6 * 3600_000), now - 60_000, stepMs);
    const config: PredictionSiteConfigInput = {
      interval: sec(intervalMs),
      step: sec(stepMs),
      lag: sec(Math.max(2 * (o.scrapeIntervalMs ?? Math.min(5000, stepMs)), 2000)),
      backfill: '10m',
      prometheus: { url: prom.url },
      queries: [
        { name: 'disk_used', query: DEMO_QUERIES.disk_used, limit: { limit: 0.95, leadTime: '30m', windowPoints: 20, minPoints: 8, label: 'disk usage' } },
        { name: 'gpu_temp', query: DEMO_QUERIES.gpu_temp, limit: { limit: 90, leadTime: '20m', windowPoints: 20, minPoints: 8, label: 'GPU temperature' } },
        { name: 'error_rate', query: DEMO_QUERIES.error_rate },
      ],
      cooldown: '5m',
      sinks: { log: true },
      policy: { preemptiveBackup: { assets: o.assets ?? [], cooldown: '1h' }, failover: 'recommendOnly' },
      training: { window: '1h', csv: Object.entries(csv).map(([series, file]) => ({ series, file })) },
    };
    const client = o.temporalClient;
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const trainInput: TrainingInput = { site, config: config as Record<string, unknown>, reason: 'demo' };
    const model = await client.workflow.execute(workflowRef('trainingWorkflow'), {
      taskQueue: o.taskQueue,
      workflowId: `train-${site}-${stamp}`,
      args: [trainInput],
      staticSummary: `demo: training for ${site}`,
    });
    log.info({ site, version: model.version, series: model.series }, 'demo model trained');
    const workflowId = predictionWorkflowId(site);
    const loopInput: PredictionInput = { site, config: config as Record<string, unknown> };
    // a loop left by an earlier demo reads an old Prometheus: replace it
    await client.workflow.start(workflowRef('predictionWorkflow'), {
      taskQueue: o.taskQueue,
      workflowId,
      args: [loopInput],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
      staticSummary: `demo: prediction loop of ${site} (Prometheus ${prom.url})`,
    });
    if (o.stopLoopOnStop ?? true) {
      cleanups.push(async () => {
        await client.workflow
          .getHandle(workflowId)
          .terminate('prediction demo stopped')
          .catch(() => undefined);
      });
    }
    if (o.troubleAfterMs !== undefined) {
      troubleTimer = setTimeout(() => {
        sim.startTrouble();
        log.warn({ site }, 'demo: trouble knob turned on (disk filling, GPU heating, errors climbing)');
      }, o.troubleAfterMs);
      troubleTimer.unref();
    }
    log.info({ site, workflowId, metrics: endpoint.url, prometheus: prom.url }, 'prediction demo running');
    return {
      site,
      workflowId,
      metricsUrl: endpoint.url,
      prometheusUrl: prom.url,
      model,
      config,
      trouble(on: boolean) {
        if (on) sim.startTrouble();
        else sim.stopTrouble();
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
