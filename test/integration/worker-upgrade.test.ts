import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { triggerFailover } from '../../src/cli/failover-trigger';
import { approveUpdate, failoverStatusQuery } from '../../src/contracts/failover-messages';
import { predictionStatusQuery } from '../../src/contracts/prediction-messages';
import { backupDemo, extendPlan, outcomeOf, startDemo, waitFor, type DemoSite } from '../helpers/failover-demo';
import type { ServerProcess } from '../helpers/child';
import { DIST_ROOT, startStack, type TestStack } from '../helpers/stack';
import { V2_MEMO } from '../upgrade/v2-change';

/**
 * An upgrade of the worker under Worker Versioning while a prediction loop runs and a failover
 * waits at its approval gate: worker build v1 (the current bundle) is current; a loop and a
 * failover start on it; v1 shuts down gracefully; build v2 (the same workflows plus a change
 * behind patched(), test/upgrade/) starts and is made current. The failover is approved and
 * completes on v2, the loop keeps iterating and continues as new on v2; the runs that started
 * on v1 took the old path of the patch, the new run took the new one. The same change without
 * patched() fails to replay the failover's history (what the patching policy prevents).
 */
process.env.LEPTON_DR_LOG_LEVEL ??= 'warn';
// the replay checks at the end run an in-process worker: only its warnings
Runtime.install({ logger: new DefaultLogger('WARN') });

const DEPLOYMENT = 'lepton-dr-upgrade-test';
const SITE = 'upg';
let stack: TestStack;
let demo: DemoSite;
let v2Bundle: string;
let v2UnpatchedBundle: string;

async function bundleWith(interceptorModule: string, out: string): Promise<string> {
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(DIST_ROOT, 'src', 'workflows', 'index.js'),
    workflowInterceptorModules: [path.join(DIST_ROOT, 'test', 'upgrade', interceptorModule)],
    logger: { info: quiet, warn: quiet, error: console.error, debug: quiet, trace: quiet, log: quiet },
  });
  fs.writeFileSync(out, code);
  return out;
}

before(async () => {
  stack = await startStack();
  const d = await startDemo(stack, { name: SITE });
  extendPlan(
    stack,
    [{ name: 'model', source: d.primaryDir }],
    [
      d.config({
        approval: { required: true, timeout: '10m', onTimeout: 'abort' },
        prediction: { interval: '1s', step: '1s', lag: 0, sinks: { log: true }, policy: { failover: 'recommendOnly' } },
      }),
    ],
  );
  [v2Bundle, v2UnpatchedBundle] = await Promise.all([
    bundleWith('v2-patched-interceptors.js', path.join(stack.dir, 'v2-bundle.js')),
    bundleWith('v2-unpatched-interceptors.js', path.join(stack.dir, 'v2-unpatched-bundle.js')),
  ]);
  demo = { ...d, snapshotId: '' };
});
after(async () => {
  await demo?.stop();
  await stack?.stop();
});

function startBuild(buildId: string, bundle: string): ServerProcess {
  Object.assign(stack.env, {
    LEPTON_DR_WORKFLOW_BUNDLE: bundle,
    LEPTON_DR_DEPLOYMENT_NAME: DEPLOYMENT,
    LEPTON_DR_BUILD_ID: buildId,
    LEPTON_DR_LOG_LEVEL: 'info',
  });
  return stack.startWorker();
}

/** `temporal worker deployment set-current-version`, once the build's worker has polled (the version exists then). */
async function makeCurrent(client: Client, buildId: string): Promise<void> {
  await waitFor(
    `build ${buildId} to become current`,
    async () => {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: stack.temporal.namespace,
        deploymentName: DEPLOYMENT,
        buildId,
        identity: 'upgrade-test',
      });
      const d = await client.workflowService.describeWorkerDeployment({ namespace: stack.temporal.namespace, deploymentName: DEPLOYMENT });
      return d.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId === buildId ? true : undefined;
    },
    30_000,
  );
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const events = async (h: WorkflowHandle, runId?: string): Promise<HistoryEvent[]> =>
  (await (runId ? h.client.getHandle(h.workflowId, runId) : h).fetchHistory()).events ?? [];
/** Build ID of every completed workflow task, in order. */
const taskBuilds = (evs: HistoryEvent[]): string[] =>
  evs.flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes.deploymentVersion?.buildId ?? '(unversioned)'] : []));
/** The workflows use no other patch, so a patch marker is V2_PATCH's. */
const hasPatchMarker = (evs: HistoryEvent[]): boolean => evs.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
const memoOf = async (h: WorkflowHandle, runId?: string): Promise<Record<string, unknown>> =>
  ((await (runId ? h.client.getHandle(h.workflowId, runId) : h).describe()).memo ?? {}) as Record<string, unknown>;

test('worker v1 -> v2 under Worker Versioning while a prediction loop runs and a failover waits for approval', { timeout: 300_000 }, async () => {
  const client = stack.client;
  const v1 = startBuild('v1', path.join(DIST_ROOT, 'workflow-bundle.js'));
  await makeCurrent(client, 'v1');
  demo.snapshotId = await backupDemo(stack, demo);

  const loop = await client.workflow.start('predictionWorkflow', {
    taskQueue: stack.taskQueue,
    workflowId: `predict-${SITE}`,
    args: [{ site: SITE, maxIterationsPerRun: 3 }],
  });
  await waitFor('the loop on v1', async () => ((await loop.query(predictionStatusQuery)).iteration >= 1 ? true : undefined));
  const failover = (await triggerFailover(client, stack.taskQueue, { site: SITE, mode: 'planned', source: 'upgrade-test' })).handle;
  await waitFor('the approval gate', async () => ((await failover.query(failoverStatusQuery)).approval.phase === 'waiting' ? true : undefined), 60_000);

  // (queries need a worker: the loop's state before the upgrade is read while v1 runs)
  const atUpgrade = await loop.query(predictionStatusQuery);
  // graceful shutdown of v1 (SIGTERM: the worker finishes its tasks and says so)
  await v1.stop(20_000);
  assert.match(fs.readFileSync(v1.logFile, 'utf8'), /"msg":"worker stopped"/, 'v1 shut down gracefully');

  const v2 = startBuild('v2', v2Bundle);
  await makeCurrent(client, 'v2');

  await failover.executeUpdate(approveUpdate, { args: [{ operator: 'oncall', comment: 'after the upgrade' }] });
  const out = await outcomeOf(failover);
  assert.ok(out.ok, out.error);
  assert.equal(out.report.outcome, 'succeeded');
  const fEvents = await events(failover);
  const fBuilds = taskBuilds(fEvents);
  assert.equal(fBuilds[0], 'v1', 'the failover started on v1');
  assert.equal(fBuilds.at(-1), 'v2', 'and completed on v2');
  assert.ok(!hasPatchMarker(fEvents) && !('codeVersion' in (await memoOf(failover))), 'a workflow that started on v1 keeps the old path of the patch');

  // the loop keeps going on v2 and continues as new there; a run started on v2 takes the new path
  let seen = '';
  const later = await waitFor(
    `a run of the loop started on v2 (${atUpgrade.runs} runs at the upgrade)`,
    async () => {
      const s = await loop.query(predictionStatusQuery);
      const builds = taskBuilds(await events(loop, s.runId));
      const pending = ((await loop.describe()).raw.pendingActivities ?? []).map(
        (p) => `${p.activityType?.name} attempt ${p.attempt} state ${String(p.state)} on ${p.lastWorkerIdentity}`,
      );
      seen = `run ${s.runs} (${s.runId}) iteration ${s.iteration} (${s.runIteration} in this run), errors ${s.errors}, tasks by build ${builds.join(',')}, pending activities: ${pending.join('; ') || 'none'}`;
      if (s.runId === atUpgrade.runId || s.runIteration < 1) return undefined;
      return builds[0] === 'v2' ? { s, builds } : undefined;
      // longer than the loop activities' 2 min start-to-close: an activity task lost with v1 is retried within it
    },
    150_000,
  ).catch((e: Error) => assert.fail(`${e.message}; last seen: ${seen}`));
  assert.ok(later.s.iteration > atUpgrade.iteration, `iterations ${atUpgrade.iteration} -> ${later.s.iteration}`);
  assert.equal(later.s.errors, atUpgrade.errors, `no failed iterations across the upgrade (last error: ${later.s.lastError})`);
  const oldRun = await events(loop, atUpgrade.runId);
  assert.equal(taskBuilds(oldRun)[0], 'v1');
  assert.ok(!hasPatchMarker(oldRun));
  const newRun = await events(loop, later.s.runId);
  assert.ok(
    later.builds.every((b) => b === 'v2'),
    `the new run ran on v2 only (${later.builds.join(',')})`,
  );
  assert.ok(hasPatchMarker(newRun), 'the new run recorded the patch marker');
  assert.deepEqual(await memoOf(loop, later.s.runId), V2_MEMO);
  await loop.terminate('test over');

  // without patched(), v2 could not have taken over: the failover's v1 history does not replay
  const history = await failover.fetchHistory();
  await assert.rejects(
    Worker.runReplayHistory({ workflowBundle: { codePath: v2UnpatchedBundle } }, history, failover.workflowId),
    (e: unknown) => (e as Error).name === 'DeterminismViolationError',
  );
  await Worker.runReplayHistory({ workflowBundle: { codePath: v2Bundle } }, history, failover.workflowId);
  await v2.stop(10_000);
});
