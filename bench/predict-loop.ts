import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { startPredictionDemo } from '../src/demo/prediction-demo';
import type { PredictionRunSummary } from '../src/contracts/prediction-types';
import { startStack } from '../test/helpers/stack';
import { cpuSecondsOf } from './measure';

/**
 * Loop cost per iteration of predictionWorkflow against the real Temporal dev server, a worker
 * process and a real Prometheus scraping the demo's simulated site (3 queries, a model trained
 * on 30 min of replayed history at a 1 s step). The loop runs `iterations` iterations
 * (maxIterations) at `intervalMs`; costs come from the run's history (server timestamps):
 *
 * - activity ms / iteration: collect (Prometheus query_range x3, P(B) visibility query) + score,
 *   ActivityTaskStarted -> Completed;
 * - workflow task ms / iteration: WorkflowTaskStarted -> Completed (the decide step, replays);
 * - cost ms / iteration: the two together; worker CPU ms / iteration; history events / iteration;
 * - P(W): the loop's own duty cycle (compute / wall time) at this interval.
 *
 * Keys: predict_loop_{iterations, cost_ms_per_iteration, activity_ms_per_iteration,
 * workflow_task_ms_per_iteration, wall_ms_per_iteration, worker_cpu_ms_per_iteration,
 * events_per_iteration, duty_cycle_w}.
 */
export async function benchPredictLoop(opts: { iterations?: number; intervalMs?: number } = {}): Promise<Record<string, number>> {
  const iterations = opts.iterations ?? 30;
  const intervalMs = opts.intervalMs ?? 250;
  const stack = await startStack();
  try {
    const worker = stack.startWorker();
    const demo = await startPredictionDemo({
      stateDir: path.join(stack.dir, 'bench'),
      temporalClient: stack.client,
      taskQueue: stack.taskQueue,
      site: 'bench',
      stepMs: 1000,
      intervalMs: 1000,
      scrapeIntervalMs: 1000,
      historyMs: 30 * 60_000,
      stopLoopOnStop: true,
    });
    try {
      // the demo's loop ran during setup; measure a dedicated run with a fixed number of iterations
      await stack.client.workflow.getHandle(demo.workflowId).terminate('bench: replaced by a measured run');
      const cpu0 = cpuSecondsOf(worker.pid);
      const t0 = performance.now();
      const handle = await stack.client.workflow.start('predictionWorkflow', {
        taskQueue: stack.taskQueue,
        workflowId: 'predict-bench-measured',
        args: [
          {
            site: 'bench',
            config: { ...(demo.config as Record<string, unknown>), interval: intervalMs },
            maxIterations: iterations,
            maxIterationsPerRun: iterations + 1,
          },
        ],
      });
      const summary = (await handle.result()) as PredictionRunSummary;
      const wallMs = performance.now() - t0;
      const cpuMs = (cpuSecondsOf(worker.pid) - cpu0) * 1000;
      const events = (await handle.fetchHistory()).events ?? [];
      const ms = (e: temporal.api.history.v1.IHistoryEvent) => {
        const t = e.eventTime;
        return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : 0;
      };
      const started = new Map<string, number>();
      let wftMs = 0;
      let actMs = 0;
      for (const e of events) {
        const id = String(e.eventId);
        if (e.workflowTaskStartedEventAttributes) started.set(`wft-${id}`, ms(e));
        if (e.workflowTaskCompletedEventAttributes)
          wftMs += ms(e) - (started.get(`wft-${String(e.workflowTaskCompletedEventAttributes.startedEventId)}`) ?? ms(e));
        if (e.activityTaskStartedEventAttributes) started.set(`act-${id}`, ms(e));
        if (e.activityTaskCompletedEventAttributes)
          actMs += ms(e) - (started.get(`act-${String(e.activityTaskCompletedEventAttributes.startedEventId)}`) ?? ms(e));
      }
      const n = summary.iterations;
      return {
        predict_loop_iterations: n,
        predict_loop_interval_ms: intervalMs,
        predict_loop_cost_ms_per_iteration: (wftMs + actMs) / n,
        predict_loop_activity_ms_per_iteration: actMs / n,
        predict_loop_workflow_task_ms_per_iteration: wftMs / n,
        predict_loop_wall_ms_per_iteration: wallMs / n,
        predict_loop_worker_cpu_ms_per_iteration: cpuMs / n,
        predict_loop_events_per_iteration: events.length / n,
        predict_loop_duty_cycle_w: summary.duty.prediction,
      };
    } finally {
      await demo.stop();
    }
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  process.env.LEPTON_DR_LOG_LEVEL ??= 'warn';
  benchPredictLoop({ iterations: Number(process.argv[2] ?? 30) })
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
