import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import YAML from 'yaml';
import { BadInputError } from '../../common/errors';
import { parseOrThrow } from '../../common/zod-errors';
import { fmtDuration } from '../../predict/detectors/detector';
import {
  PolicyPatchSchema,
  PredictionInputSchema,
  predictionWorkflowId,
  SiteName,
  TrainingInputSchema,
  trainingWorkflowId,
  type PolicyPatchInput,
} from '../../contracts/prediction-inputs';
import { pauseSignal, predictionStatusQuery, resumeSignal, retrainSignal, setPolicyUpdate, type PredictionStatus } from '../../contracts/prediction-messages';
import { workflowRef } from '../../contracts/workflows';
import { connect, timestampId, type GlobalOptions } from '../context';
import { emit, table } from '../output';

/**
 * The prediction loop from the CLI, as subcommands of `lepton-dr predict` (next to the
 * library's `score` and `eval`):
 *
 *   predict start   --site S [--config FILE] [--iterations-per-run N]
 *   predict status  --site S
 *   predict pause   --site S [--reason TEXT]      predict resume --site S
 *   predict retrain --site S [--reason TEXT]      (the loop starts trainingWorkflow, then uses the new model)
 *   predict train   --site S [--window 7d] [--no-wait]
 *   predict policy  --site S [--warn X] [--high X] [--critical X] [--cooldown 15m] [--interval 60s] [--set JSON]
 *   predict stop    --site S
 */

const siteOption = () => new Option('--site <site>', 'site name (from the plan)').makeOptionMandatory();

function site(v: string): string {
  return parseOrThrow(SiteName, v, '--site');
}

function readConfig(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new BadInputError(`--config: ${file} does not exist`);
  const text = fs.readFileSync(file, 'utf8');
  const v = (file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new BadInputError('--config: must hold an object (a site\'s "prediction" section)');
  // file paths in the config are relative to the config file, not to the worker's plan
  const c = v as { logs?: { path?: unknown; rotatedPaths?: unknown }[]; training?: { csv?: { file?: unknown }[] } };
  const abs = (p: unknown) => (typeof p === 'string' ? path.resolve(path.dirname(path.resolve(file)), p) : p);
  for (const l of Array.isArray(c.logs) ? c.logs : []) {
    if (l && typeof l === 'object') {
      l.path = abs(l.path);
      if (Array.isArray(l.rotatedPaths)) l.rotatedPaths = l.rotatedPaths.map(abs);
    }
  }
  for (const x of Array.isArray(c.training?.csv) ? c.training!.csv! : []) if (x && typeof x === 'object') x.file = abs(x.file);
  return v as Record<string, unknown>;
}

const pct = (x: number | null) => (x === null ? 'unknown' : `${(x * 100).toFixed(3)} %`);

export function formatStatus(s: PredictionStatus): string {
  const lines = [
    `site ${s.site}: ${s.level.toUpperCase()} (risk ${s.risk.toFixed(3)}, model ${s.modelRisk.toFixed(3)})${s.paused ? `  PAUSED${s.pausedReason ? ` (${s.pausedReason})` : ''}` : ''}`,
    `  workflow ${s.workflowId}  run ${s.runId}  runs ${s.runs}  iterations ${s.iteration}  last ${s.lastIterationAt ?? '-'}${s.lastIterationMs !== null ? ` (${s.lastIterationMs.toFixed(1)} ms)` : ''}`,
    `  model ${s.modelVersion ?? 'none (train one: lepton-dr predict train --site ' + s.site + ')'}  state ${s.stateBytes} bytes${s.stateRef ? ` (in the repository: ${s.stateRef})` : ' (inline)'}${s.unknownSeries.length ? `  unknown series: ${s.unknownSeries.join(', ')}` : ''}`,
    `  duty cycles over ${fmtDuration(s.duty.windowMs)}: P(B) backing up ${pct(s.duty.backup)}, P(W) predicting ${pct(s.duty.prediction)}`,
    `  thresholds warn ${s.policy.thresholds.warn} high ${s.policy.thresholds.high} critical ${s.policy.thresholds.critical}, hysteresis ${s.policy.hysteresis}, cooldown ${fmtDuration(s.policy.cooldownMs)}, interval ${fmtDuration(s.policy.intervalMs)}, failover ${s.policy.failover}`,
  ];
  if (s.reasons.length) lines.push('  reasons:', ...s.reasons.map((r) => `    ${r.score.toFixed(2)}  ${r.source} (${r.detector}): ${r.message}`));
  if (s.forecasts.length)
    lines.push(
      '  forecasts:',
      ...s.forecasts.map((f) => `    ${f.series}: limit in ${f.etaMs === null ? 'never' : fmtDuration(f.etaMs)} (confidence ${f.confidence.toFixed(2)})`),
    );
  if (s.alerts.length)
    lines.push('  firing alerts:', ...s.alerts.map((a) => `    ${a.name}${a.severity ? ` (${a.severity})` : ''} since ${a.startsAt}: ${a.summary}`));
  if (s.recentWarnings.length) {
    lines.push(`  warnings (${s.warningsSent} sent, ${s.suppressed} held back by the cooldown):`);
    lines.push(
      table(
        s.recentWarnings
          .slice(-10)
          .map((w) => [
            '   ',
            w.at,
            w.kind,
            `${w.from}->${w.level}`,
            w.risk.toFixed(2),
            w.failed.length ? `FAILED ${w.failed.join('; ')}` : (w.reasons[0] ?? ''),
          ]),
      ),
    );
  }
  if (s.recentActions.length)
    lines.push('  actions:', table(s.recentActions.slice(-10).map((a) => ['   ', a.at, a.kind, a.outcome, a.workflowId ?? '', a.detail])));
  if (s.lastError) lines.push(`  last error (${s.errors} failed iterations): ${s.lastError}`);
  return lines.join('\n');
}

/** Run `fn` on the site's loop (its handle and workflow id), the Temporal connection open meanwhile. */
async function onLoop(g: GlobalOptions, siteName: string, fn: (h: WorkflowHandle, workflowId: string) => Promise<void>): Promise<void> {
  const { client, close } = await connect(g);
  try {
    const workflowId = predictionWorkflowId(site(siteName));
    await fn(client.workflow.getHandle(workflowId), workflowId);
  } finally {
    await close();
  }
}

function numberOpt(name: string) {
  return new Option(`--${name} <risk>`, `${name} threshold in [0, 1]`).argParser((v) => Number(v));
}

export function addPredictLoopCommands(predict: Command): Command {
  predict.description('prediction: the per-site loop (start, status, pause, resume, retrain, train, policy, stop), scoring and evaluation');

  predict.addCommand(
    new Command('start')
      .description('start the prediction loop of a site (predict-<site>); joins it when it runs already')
      .addOption(siteOption())
      .option('--config <file>', "inline prediction config (YAML/JSON, a site's prediction section) instead of the plan's")
      .option('--iterations-per-run <n>', 'continue-as-new after this many iterations', (v) => Number(v))
      .action(async (o: { site: string; config?: string; iterationsPerRun?: number }, cmd: Command) => {
        const g = cmd.optsWithGlobals<GlobalOptions>();
        const input = parseOrThrow(
          PredictionInputSchema,
          {
            site: site(o.site),
            ...(o.config ? { config: readConfig(o.config) } : {}),
            ...(o.iterationsPerRun !== undefined ? { maxIterationsPerRun: o.iterationsPerRun } : {}),
          },
          'predict start flags',
        );
        const { plan, client, close } = await connect(g);
        try {
          const workflowId = predictionWorkflowId(input.site);
          const h = await client.workflow.start(workflowRef('predictionWorkflow'), {
            taskQueue: plan.temporal.taskQueue,
            workflowId,
            args: [input],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            staticSummary: `prediction loop of ${input.site}`,
          });
          const d = await h.describe();
          const joined = d.runId !== h.firstExecutionRunId || d.startTime.getTime() < Date.now() - 10_000;
          emit(
            g.json,
            { workflowId, runId: d.runId, joined },
            () => `${joined ? 'already running' : 'started'}: ${workflowId} (lepton-dr predict status --site ${input.site})`,
          );
        } finally {
          await close();
        }
      }),
  );

  predict.addCommand(
    new Command('status')
      .description("the loop's current risk, level, reasons, warnings, actions, model and duty cycles")
      .addOption(siteOption())
      .action(async (o: { site: string }, cmd: Command) => {
        const g = cmd.optsWithGlobals<GlobalOptions>();
        await onLoop(g, o.site, async (h) => {
          const s = await h.query(predictionStatusQuery);
          emit(g.json, s, () => formatStatus(s));
        });
      }),
  );

  const signalCommand = (name: 'pause' | 'resume' | 'retrain', description: string) =>
    new Command(name)
      .description(description)
      .addOption(siteOption())
      .option('--reason <text>', 'why (shown in the status)')
      .action(async (o: { site: string; reason?: string }, cmd: Command) => {
        const g = cmd.optsWithGlobals<GlobalOptions>();
        await onLoop(g, o.site, async (h, workflowId) => {
          const signal = name === 'pause' ? pauseSignal : name === 'resume' ? resumeSignal : retrainSignal;
          await h.signal(signal, o.reason ? { reason: o.reason.slice(0, 500) } : {});
          emit(g.json, { workflowId, signal: name }, () => `${name} sent to ${workflowId}`);
        });
      });
  predict.addCommand(signalCommand('pause', 'pause the loop (no collection, warnings or actions until resumed)'));
  predict.addCommand(signalCommand('resume', 'resume a paused loop'));
  predict.addCommand(signalCommand('retrain', 'have the loop train a new model now (trainingWorkflow) and use it'));

  predict.addCommand(
    new Command('train')
      .description("train the site's models on its history (trainingWorkflow) and store a new version")
      .addOption(siteOption())
      .option('--window <duration>', 'history window, e.g. 7d (default: the site config)')
      .option('--config <file>', 'inline prediction config (YAML/JSON)')
      .option('--no-wait', 'start and return the workflow id')
      .action(async (o: { site: string; window?: string; config?: string; wait: boolean }, cmd: Command) => {
        const g = cmd.optsWithGlobals<GlobalOptions>();
        const input = parseOrThrow(
          TrainingInputSchema,
          { site: site(o.site), reason: 'cli', ...(o.window ? { windowMs: o.window } : {}), ...(o.config ? { config: readConfig(o.config) } : {}) },
          'predict train flags',
        );
        const { plan, client, close } = await connect(g);
        try {
          const workflowId = `${trainingWorkflowId(input.site)}-${timestampId()}`;
          const h = await client.workflow.start(workflowRef('trainingWorkflow'), {
            taskQueue: plan.temporal.taskQueue,
            workflowId,
            args: [input],
            staticSummary: `training for ${input.site} (cli)`,
          });
          if (!o.wait) return emit(g.json, { workflowId }, () => `started ${workflowId}`);
          const r = await h.result();
          emit(g.json, { workflowId, ...r }, () => `${r.summary}\n  stored as ${r.key}${r.pruned.length ? `; pruned ${r.pruned.join(', ')}` : ''}`);
        } finally {
          await close();
        }
      }),
  );

  predict.addCommand(
    new Command('policy')
      .description('change thresholds and policy of a running loop (validated; refused with the field named)')
      .addOption(siteOption())
      .addOption(numberOpt('warn'))
      .addOption(numberOpt('high'))
      .addOption(numberOpt('critical'))
      .option('--hysteresis <x>', 'hysteresis in risk units', (v) => Number(v))
      .option('--cooldown <duration>', 'least time between two notifications (e.g. 15m)')
      .option('--interval <duration>', 'loop period (e.g. 60s)')
      .addOption(new Option('--failover <mode>', 'at the critical level').choices(['request', 'recommendOnly', 'off']))
      .option('--set <json>', 'any policy fields as JSON, e.g. {"preemptiveBackup": {"assets": ["models"]}}')
      .action(
        async (
          o: {
            site: string;
            warn?: number;
            high?: number;
            critical?: number;
            hysteresis?: number;
            cooldown?: string;
            interval?: string;
            failover?: string;
            set?: string;
          },
          cmd: Command,
        ) => {
          const g = cmd.optsWithGlobals<GlobalOptions>();
          let extra: Record<string, unknown> = {};
          if (o.set) {
            try {
              extra = JSON.parse(o.set) as Record<string, unknown>;
            } catch {
              throw new BadInputError('--set: not JSON');
            }
          }
          const thresholds = {
            ...(o.warn !== undefined ? { warn: o.warn } : {}),
            ...(o.high !== undefined ? { high: o.high } : {}),
            ...(o.critical !== undefined ? { critical: o.critical } : {}),
          };
          const patch = {
            ...extra,
            ...(Object.keys(thresholds).length ? { thresholds: { ...((extra.thresholds as object) ?? {}), ...thresholds } } : {}),
            ...(o.hysteresis !== undefined ? { hysteresis: o.hysteresis } : {}),
            ...(o.cooldown ? { cooldownMs: o.cooldown } : {}),
            ...(o.interval ? { intervalMs: o.interval } : {}),
            ...(o.failover ? { failover: o.failover } : {}),
          };
          parseOrThrow(PolicyPatchSchema, patch, 'policy');
          await onLoop(g, o.site, async (h) => {
            const p = await h.executeUpdate(setPolicyUpdate, { args: [patch as PolicyPatchInput] });
            emit(g.json, p, () => `policy of ${o.site}: ${JSON.stringify(p)}`);
          });
        },
      ),
  );

  predict.addCommand(
    new Command('stop')
      .description('stop the loop (cancels predict-<site>)')
      .addOption(siteOption())
      .action(async (o: { site: string }, cmd: Command) => {
        const g = cmd.optsWithGlobals<GlobalOptions>();
        await onLoop(g, o.site, async (h, workflowId) => {
          await h.cancel();
          emit(g.json, { workflowId, cancelled: true }, () => `cancel requested for ${workflowId}`);
        });
      }),
  );
  return predict;
}
