import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { CollectOutput, PredictionSettings, ScoreOutput } from '../../src/activities/prediction-activity-types';
import { failoverWorkflowId } from '../../src/contracts/failover-inputs';
import { rejectUpdate } from '../../src/contracts/failover-messages';
import {
  DecisionPolicySchema,
  preemptiveBackupId,
  predictionWorkflowId,
  trainingWorkflowId,
  type DecisionPolicyInput,
} from '../../src/contracts/prediction-inputs';
import { alertSignal, predictionStatusQuery, pushMetricsSignal, retrainSignal, setPolicyUpdate } from '../../src/contracts/prediction-messages';
import type { TrainOutput } from '../../src/contracts/prediction-types';
import { workflowRef, type WorkflowContracts } from '../../src/contracts/workflows';
import { brief, failoverMocks } from '../helpers/failover-mocks';
import { mockedWorkflows } from '../helpers/mocked-workflows';
import { waitFor } from '../helpers/predict';

/**
 * The prediction loop against mocked activities on the dev server, with short intervals: what
 * continue-as-new carries, duplicate triggers of training, pre-emptive backups and failover
 * requests (one child each), and refused messages. Seconds per test; the activities are tested
 * with the real components in predict-loop.test.ts and friends.
 */

const mocked = mockedWorkflows();

interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

/** Mocked prediction activities: every model score is `risk`; each call's input is kept. */
function predictionMocks(o: { risk: number; policy: DecisionPolicyInput; failoverCapable?: boolean; training?: Gate }) {
  const collected: { gen: number; since: number | null; until: number }[] = [];
  const scored: { gen: number; state: ScoreOutput['state'] }[] = [];
  let trainings = 0;
  const settings: PredictionSettings = {
    policy: DecisionPolicySchema.parse(o.policy),
    planAssets: ['models'],
    failoverCapable: o.failoverCapable ?? false,
    assets: ['models'],
    lagMs: 0,
    stepMs: 1000,
    dutyWindowMs: 60_000,
    maxIterationsPerRun: 500,
    sinks: { log: true, webhook: false, alertmanager: false },
    sources: { queries: 0, logs: 0, pushed: 0, csv: 0 },
    trainingScheduled: false,
  };
  const activities = {
    predictionSettings: async () => settings,
    collectSignals: async (i: { gen: number; since: number | null; until: number }): Promise<CollectOutput> => {
      collected.push({ gen: i.gen, since: i.since, until: i.until });
      return { batch: { inline: {}, bytes: 2 }, logCursors: {}, points: 0, series: 0, errors: [], backupDuty: null, computeMs: 0 };
    },
    scorePrediction: async (i: { gen: number; state: ScoreOutput['state'] }): Promise<ScoreOutput> => {
      scored.push({ gen: i.gen, state: i.state });
      return {
        risk: o.risk,
        reasons: [{ source: 'gpu_temp', detector: 'mock', score: o.risk, message: 'mocked' }],
        modelVersion: 'm1',
        modelChanged: false,
        state: { modelVersion: 'm1', value: { inline: { scoredGen: i.gen }, bytes: 14 } },
        stateBytes: 14,
        points: 0,
        series: 1,
        unknownSeries: [],
        forecasts: [],
        computeMs: 0,
      };
    },
    sendPredictionWarning: async () => [{ sink: 'log' as const, ok: true, attempts: 1 }],
    trainPredictionModel: async (): Promise<TrainOutput> => {
      trainings++;
      await o.training?.opened;
      return { version: 'm2', key: 'models/s/m2.json', bytes: 1, series: ['gpu_temp'], points: 1, sources: { prometheusSeries: 0, csvFiles: 0 }, pruned: [] };
    },
  };
  return { activities, collected, scored, trainings: () => trainings };
}

const statusOf = (workflowId: string) => mocked.env.client.workflow.getHandle(workflowId).query(predictionStatusQuery);

test('continue-as-new carries the loop state: iterations, generations, the collection cursor, the predictor state and the policy overrides reach the next runs', async () => {
  const site = `carry${process.pid}`;
  const m = predictionMocks({ risk: 0.1, policy: { intervalMs: 100 } });
  await mocked.withWorker(m.activities, async (taskQueue) => {
    const workflowId = predictionWorkflowId(site);
    const summary = await mocked.env.client.workflow.execute(workflowRef('predictionWorkflow'), {
      taskQueue,
      workflowId,
      args: [{ site, maxIterationsPerRun: 2, maxIterations: 5, policy: { hysteresis: 0.25 } }],
    });
    assert.equal(summary.iterations, 5);
    const s = await statusOf(workflowId);
    assert.equal(s.runs, 3, '2 + 2 + 1 iterations');
    assert.equal(s.iteration, 5);
    assert.equal(s.runIteration, 1);
    // the policy patch came with the first run's input only (continue-as-new drops it): the carry brought it
    assert.equal(s.policy.hysteresis, 0.25);
    assert.equal(s.policy.intervalMs, 100);
  });
  assert.deepEqual(
    m.collected.map((c) => c.gen),
    [1, 2, 3, 4, 5],
  );
  assert.equal(m.collected[0].since, null);
  for (let i = 1; i < 5; i++) {
    assert.equal(m.collected[i].since, m.collected[i - 1].until, `iteration ${i + 1} collects from where iteration ${i} stopped`);
    assert.deepEqual(
      m.scored[i].state,
      { modelVersion: 'm1', value: { inline: { scoredGen: i }, bytes: 14 } },
      `iteration ${i + 1} scores on the state of ${i}`,
    );
  }
  assert.equal(m.scored[0].state, null);
});

test('duplicate retrain requests start one training: the second joins the running one', async () => {
  const site = `train${process.pid}`;
  const training = gate();
  const m = predictionMocks({ risk: 0.1, policy: { intervalMs: '1h' }, training });
  await mocked.withWorker(m.activities, async (taskQueue) => {
    const workflowId = predictionWorkflowId(site);
    const loop = await mocked.env.client.workflow.start(workflowRef('predictionWorkflow'), { taskQueue, workflowId, args: [{ site }] });
    const iterations = (n: number) => async () => ((await statusOf(workflowId)).iteration >= n ? true : undefined);
    const trainings = async (n: number) => {
      const t = (await statusOf(workflowId)).recentActions.filter((a) => a.kind === 'training');
      return t.length >= n ? t : undefined;
    };
    try {
      await waitFor('the first iteration', iterations(1));
      await loop.signal(retrainSignal, { reason: 'first' });
      await waitFor('the first training', () => trainings(1));
      // a signal that lands while an iteration runs waits for the next interval (the iteration clears the wake-up)
      await waitFor('the iteration that started it', iterations(2));
      await loop.signal(retrainSignal, { reason: 'second' });
      const t = await waitFor('the second training request', () => trainings(2));
      assert.deepEqual(
        t.map((a) => [a.workflowId, a.outcome]),
        [
          [trainingWorkflowId(site), 'started'],
          [trainingWorkflowId(site), 'joined'],
        ],
      );
    } finally {
      // a training left waiting would hold the worker's shutdown
      training.open();
    }
    const model = await mocked.env.client.workflow.getHandle<WorkflowContracts['trainingWorkflow']>(trainingWorkflowId(site)).result();
    assert.equal(model.version, 'm2');
    await loop.cancel();
  });
  assert.equal(m.trainings(), 1, 'one training ran');
});

test('a pre-emptive backup is started once per asset and cooldown slot: a restarted loop joins it', async () => {
  const site = `backup${process.pid}`;
  // a cooldown of decades: both runs fall in one slot
  const policy = { intervalMs: 100, preemptiveBackup: { assets: ['models'], cooldownMs: 1e12 }, failover: 'off' as const };
  const m = predictionMocks({ risk: 0.85, policy });
  await mocked.withWorker(m.activities, async (taskQueue) => {
    const workflowId = predictionWorkflowId(site);
    const runOnce = async () => {
      await mocked.env.client.workflow.execute(workflowRef('predictionWorkflow'), { taskQueue, workflowId, args: [{ site, maxIterations: 1 }] });
      return (await statusOf(workflowId)).recentActions.filter((a) => a.kind === 'preemptive-backup');
    };
    const first = await runOnce();
    const second = await runOnce();
    const id = preemptiveBackupId(site, 'models', Math.floor(Date.now() / 1e12));
    assert.deepEqual(
      first.map((a) => [a.workflowId, a.outcome]),
      [[id, 'started']],
    );
    assert.deepEqual(
      second.map((a) => [a.workflowId, a.outcome]),
      [[id, 'joined']],
    );
    await mocked.env.client.workflow
      .getHandle(id)
      .terminate('test done')
      .catch(() => undefined);
  });
});

test('a critical level on every iteration requests one failover: later requests join the one waiting for approval', async () => {
  const site = `crit${process.pid}`;
  const f = failoverMocks(brief(site, { required: true, timeoutMs: 600_000, onTimeout: 'abort' }));
  const m = predictionMocks({ risk: 1, policy: { intervalMs: 100, failover: 'request', failoverCooldownMs: 0 }, failoverCapable: true });
  await mocked.withWorker({ ...f.activities, ...m.activities }, async (taskQueue) => {
    const workflowId = predictionWorkflowId(site);
    await mocked.env.client.workflow.execute(workflowRef('predictionWorkflow'), { taskQueue, workflowId, args: [{ site, maxIterations: 3 }] });
    const s = await statusOf(workflowId);
    assert.deepEqual(
      s.recentActions.filter((a) => a.kind === 'failover').map((a) => [a.workflowId, a.outcome]),
      [
        [failoverWorkflowId(site), 'started'],
        [failoverWorkflowId(site), 'joined'],
        [failoverWorkflowId(site), 'joined'],
      ],
    );
    await mocked.env.client.workflow.getHandle(failoverWorkflowId(site)).executeUpdate(rejectUpdate, { args: [{ operator: 'test', comment: 'done' }] });
    await mocked.env.client.workflow
      .getHandle(failoverWorkflowId(site))
      .result()
      .catch(() => undefined);
  });
  assert.equal(f.calls.filter((c) => c === 'openIncident').length, 1, 'one failover run');
});

test('bad messages are refused with the field named, and change nothing', async () => {
  const site = `bad${process.pid}`;
  const m = predictionMocks({ risk: 0.1, policy: { intervalMs: '1h' } });
  await mocked.withWorker(m.activities, async (taskQueue) => {
    const workflowId = predictionWorkflowId(site);
    const loop = await mocked.env.client.workflow.start(workflowRef('predictionWorkflow'), { taskQueue, workflowId, args: [{ site }] });
    await waitFor('the first iteration', async () => ((await statusOf(workflowId)).iteration >= 1 ? true : undefined));

    await loop.signal(pushMetricsSignal, { samples: [] });
    const pushed = await waitFor('the push refused', async () => {
      const s = await statusOf(workflowId);
      return s.pushedRejected > 0 ? s : undefined;
    });
    assert.match(pushed.lastError ?? '', /^pushMetrics refused: samples: must hold at least one sample/);
    assert.equal(pushed.pushedPending, 0);

    const alert = { status: 'burning', fingerprint: 'f1', startsAt: '2026-12-01T10:00:00Z', labels: { alertname: 'Hot' } };
    await loop.signal(alertSignal, { alerts: [alert] } as never);
    const alerted = await waitFor('the alert refused', async () => {
      const s = await statusOf(workflowId);
      return /^alert refused/.test(s.lastError ?? '') ? s : undefined;
    });
    assert.match(alerted.lastError ?? '', /alerts\.0\.status: must be 'firing' or 'resolved'/);
    assert.equal(alerted.alertStats.received, 0);
    assert.deepEqual(alerted.alerts, []);

    await assert.rejects(
      loop.executeUpdate(setPolicyUpdate, { args: [{ thresholds: { warn: 2 } }] }),
      (e: unknown) => e instanceof WorkflowUpdateFailedError && /invalid policy: thresholds\.warn: must be between 0 and 1/.test(String(e.cause)),
    );
    const after = await statusOf(workflowId);
    assert.equal(after.policy.thresholds.warn, 0.5, 'the policy is unchanged');
    assert.equal(after.iteration, 1, 'no refused message woke the loop');
    await loop.cancel();
  });
});
