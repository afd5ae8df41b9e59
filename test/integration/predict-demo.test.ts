import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startPredictionDemo, type PredictionDemo } from '../../src/demo/prediction-demo';
import { predictionStatusQuery } from '../../src/contracts/prediction-messages';
import { addToPlan, waitFor } from '../helpers/predict';
import { startStack, type TestStack } from '../helpers/stack';

process.env.LEPTON_DR_LOG_LEVEL ??= 'warn';

/**
 * The demo's prediction loop end to end: a simulated site, a real Prometheus scraping it, a model
 * trained on replayed history, the loop reading Prometheus; the trouble knob makes it warn and
 * back up the demo asset pre-emptively. (Fast settings: 1 s steps instead of the demo's 15 s.)
 */
let stack: TestStack;
let demo: PredictionDemo | undefined;

before(async () => {
  stack = await startStack();
  const src = path.join(stack.dir, 'demo-models');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'model.bin'), Buffer.alloc(64 * 1024, 7));
  addToPlan(stack, { assets: [{ name: 'demo-models', source: src }] });
  // small inline limit: the predictor state and batches go to the repository, the history carries references
  stack.env.LEPTON_DR_PREDICT_INLINE_BYTES = '1024';
  stack.startWorker();
});
after(async () => {
  await demo?.stop();
  await stack?.stop();
});

test('startPredictionDemo: Prometheus -> loop; the trouble knob raises a warning and a pre-emptive backup', { timeout: 110_000 }, async () => {
  const t0 = Date.now();
  demo = await startPredictionDemo({
    stateDir: stack.dir,
    temporalClient: stack.client,
    taskQueue: stack.taskQueue,
    assets: ['demo-models'],
    stepMs: 1000,
    intervalMs: 1000,
    scrapeIntervalMs: 1000,
    historyMs: 30 * 60_000,
  });
  assert.deepEqual(demo.model.series, ['disk_used', 'error_rate', 'gpu_temp']);
  const h = stack.client.workflow.getHandle(demo.workflowId);
  const calm = await waitFor(
    'calm iterations reading Prometheus',
    async () => {
      const s = await h.query(predictionStatusQuery);
      return s.iteration >= 5 ? s : undefined;
    },
    40_000,
    250,
  );
  console.log(
    `  demo up in ${Date.now() - t0} ms: model ${calm.modelVersion}, risk ${calm.risk.toFixed(3)}, level ${calm.level}, last iteration ${calm.lastIterationMs?.toFixed(1)} ms`,
  );
  assert.equal(calm.modelVersion, demo.model.version);
  assert.equal(calm.lastError, null);
  assert.deepEqual(calm.unknownSeries, []);
  assert.equal(calm.level, 'ok', JSON.stringify(calm.reasons));
  // the predictor state of 3 warm series is kept in the repository; the history carries a reference
  assert.ok(calm.stateBytes > 1024, `state ${calm.stateBytes} bytes`);
  assert.match(calm.stateRef ?? '', /^predict\/demo\/work\/state-\d+\.json$/);
  const events = (await h.fetchHistory()).events ?? [];
  const largest = Math.max(...events.map((e) => JSON.stringify(e).length));
  console.log(
    `  predictor state ${calm.stateBytes} bytes (by reference); largest history event ${largest} bytes; ${events.length} events after ${calm.iteration} iterations`,
  );
  assert.ok(largest < 16 * 1024, `largest event ${largest} bytes`);

  const t1 = Date.now();
  demo.trouble(true);
  const hot = await waitFor(
    'a warning and a pre-emptive backup',
    async () => {
      const s = await h.query(predictionStatusQuery);
      return s.recentActions.some((a) => a.kind === 'preemptive-backup') ? s : undefined;
    },
    60_000,
    250,
  );
  console.log(
    `  trouble -> ${hot.level} (risk ${hot.risk.toFixed(3)}) and backup in ${Date.now() - t1} ms; reasons: ${hot.reasons.map((r) => r.source).join(', ')}`,
  );
  assert.ok(hot.level === 'high' || hot.level === 'critical');
  assert.ok(hot.reasons.length > 0);
  const b = hot.recentActions.find((a) => a.kind === 'preemptive-backup')!;
  assert.match(b.workflowId!, /^preemptive-demo-demo-models-\d+$/);
  await stack.client.workflow.getHandle(b.workflowId!).result();
  const r = await fetch(`${demo.metricsUrl}/trouble`);
  assert.equal(((await r.json()) as { trouble: boolean }).trouble, true);
  await demo.stop();
  demo = undefined;
  assert.equal((await h.describe()).status.name, 'TERMINATED');
});
