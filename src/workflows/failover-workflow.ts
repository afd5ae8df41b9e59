import { ApplicationFailure, executeChild, sleep, workflowInfo } from '@temporalio/workflow';
import type { Compensation, FailoverReport } from '../common/failover-report';
import { drillWorkflowId, FailoverInputSchema, type FailoverParsedInput } from '../contracts/failover-inputs';
import { bookkeeping, fenceBestEffort, fenceRequired, health, undo, undoBestEffort } from './failover-options';
import { FailoverRun, runOptionsOf } from './failover-run';
import { parseInput } from './parse-input';
import type { SelectedSnapshot, SiteBrief } from '../contracts/failover-types';
import { restoreOntoSide } from './restore-onto-side';
import { switchAndValidate } from './switch-and-validate';
import { restoreWorkflow } from './restore-workflow';
import type { ApprovalPolicy } from './approval-gate';
import { fenceAt } from './fence-order';
import { allSettledOrThrow, runUndos } from './saga';
import { FailureType } from '../common/failure-types';

/**
 * Failover of one site as a saga:
 *   open incident -> fence the primary (planned: required; unplanned: best effort; drill: never)
 *   -> select snapshots -> restore onto the standby (restoreWorkflow children; a drill restores
 *   into the site's drill target) -> verify the standby -> approval gate -> switch traffic ->
 *   validate through the traffic path -> write the report.
 * With approval required nothing touches production before the gate: the fence moves to right
 * after it (or stays after the switch with fencing.at "after-switch"), see fence-order.ts.
 * Every step registers its compensation before it acts; a failure, a rejection or a cancel runs
 * them in reverse (switch back, unfence, put the standby's previous data back / remove the
 * drill copy). Drills never fence or switch and always clean up.
 *
 * Start it with workflow id "failover-<site>" ("drill-<site>" for drills) and, from a client,
 * workflowIdConflictPolicy USE_EXISTING: a second trigger joins the running failover.
 * UI input: {"site": "demo", "mode": "planned", "reason": "rack A maintenance"}
 */
export async function failoverWorkflow(rawInput: unknown): Promise<FailoverReport> {
  const input: FailoverParsedInput = parseInput(FailoverInputSchema, rawInput, 'failover input');
  const drill = input.mode === 'drill';
  if (drill && workflowInfo().workflowId.startsWith(`${drillWorkflowId(input.site)}-`)) return drillUnderSiteId(input.site, rawInput);
  const run = new FailoverRun(runOptionsOf(drill ? 'drill' : 'failover', input.mode, input));
  const { saga } = run;
  const site = input.site;
  try {
    // 1. open the incident
    const brief: SiteBrief = await saga.step(
      'open-incident',
      () => bookkeeping.openIncident({ site, mode: input.mode, faultInjection: Boolean(input.faultInjection) }),
      { detail: (b) => `${input.mode} by ${input.source}${input.reason ? `: ${input.reason}` : ''}; traffic on ${b.trafficOn}` },
    );
    run.opened(brief.objectives);
    await run.fault('open-incident');

    // 2. fence the primary (with approval required: only after the gate, see fence-order.ts)
    const approval: ApprovalPolicy = {
      required: input.skipApproval ? false : (input.approval?.required ?? brief.approval.required),
      timeoutMs: input.approval?.timeout ?? brief.approval.timeoutMs,
      onTimeout: input.approval?.onTimeout ?? brief.approval.onTimeout,
    };
    const fencing = fenceAt(input.mode, brief.fencing.at, approval.required);
    if (drill) saga.skip('fence', 'drills never fence');
    else if (fencing === 'start') await fencePrimary(run, input.mode, brief);

    // 3. select the snapshots
    const snaps: SelectedSnapshot[] = await saga.step(
      'select-snapshot',
      () => bookkeeping.selectSnapshots({ site, side: 'standby', snapshot: input.snapshot, snapshots: input.snapshots, before: input.before }),
      { detail: (s) => s.map((x) => `${x.asset} ${x.id.slice(0, 12)} (${x.time})`).join(', ') },
    );
    run.recordSnapshots(snaps);
    await run.fault('select-snapshot');

    // 4. restore onto the standby (or the drill target)
    await saga.step('restore', () => (drill ? restoreDrill(run, brief, snaps) : restoreOntoSide(run, brief, 'standby', snaps, { purpose: 'failover' })), {
      detail: (d) => d,
    });
    await run.fault('restore');

    // 5. verify the standby serves the snapshot's data
    const verified = await saga.step('verify', () => health.verifySide({ site, side: drill ? 'drill' : 'standby', snapshots: snaps }), {
      detail: (h) =>
        `${h.checks.length} check(s) passed in ${h.durationMs} ms${h.filesVerified.length ? `; files match the snapshot: ${h.filesVerified.join(', ')}` : ''}`,
    });
    await run.fault('verify');

    if (drill) {
      run.markHealthy(verified.healthyAt);
      saga.skip('approval', 'drills never switch traffic');
      saga.skip('switch', 'drills never switch traffic');
      saga.skip('validate', 'drills never switch traffic');
      await drillCleanup(run);
      await run.fault('cleanup');
    } else {
      // 6. approval gate
      const skipWhy = input.skipApproval ? 'skipped by the input (skipApproval)' : 'not required by the approval policy';
      await run.gate.pass(saga, approval, skipWhy);
      await run.fault('approval');
      if (fencing === 'after-approval') await fencePrimary(run, input.mode, brief);

      // 7. switch traffic, 8. validate through the traffic path
      await switchAndValidate(run, site, 'standby', snaps);

      if (fencing === 'after-switch') {
        if (brief.fencing.drainMs > 0) await sleep(brief.fencing.drainMs);
        await fencePrimary(run, 'planned', brief);
      }
    }

    // 9. the report
    await run.writeSucceeded();
    if (!drill) await discardPreserved(run, brief, snaps);
    return run.succeeded();
  } catch (err) {
    return run.failed(err);
  }
}

/**
 * One drill per site at a time, whatever started it: a run under "drill-<site>-<suffix>" (a
 * Schedule appends the time) runs the drill as a child under "drill-<site>", the id a CLI or UI
 * drill uses; while one runs, the id is taken and the second is refused.
 */
async function drillUnderSiteId(site: string, rawInput: unknown): Promise<FailoverReport> {
  const workflowId = drillWorkflowId(site);
  try {
    return await executeChild(failoverWorkflow, { workflowId, args: [rawInput], staticSummary: `drill of ${site} (started by ${workflowInfo().workflowId})` });
  } catch (e) {
    if ((e as Error).name === 'WorkflowExecutionAlreadyStartedError') {
      throw ApplicationFailure.nonRetryable(
        `a drill of site ${site} is already running (${workflowId}); one drill per site at a time`,
        FailureType.DrillAlreadyRunning,
      );
    }
    throw e;
  }
}

/** Planned: required, undo = unfence. Unplanned: best effort (the primary is probably down), undo best effort too. */
async function fencePrimary(run: FailoverRun, mode: 'planned' | 'unplanned' | 'drill', brief: SiteBrief): Promise<void> {
  const { saga } = run;
  const site = brief.site;
  if (!brief.primary.fence) {
    saga.skip('fence', 'the site defines no primary.fence action');
  } else if (mode === 'planned') {
    if (brief.primary.unfence) saga.onUndo('unfence the primary', () => undo.sideAction({ site, side: 'primary', action: 'unfence' }));
    await saga.step('fence', () => fenceRequired.sideAction({ site, side: 'primary', action: 'fence' }), { detail: (a) => a.detail });
  } else {
    if (brief.primary.unfence)
      saga.onUndo('unfence the primary', () => undoBestEffort.sideAction({ site, side: 'primary', action: 'unfence' }), { bestEffort: true });
    await saga.tryStep('fence', () => fenceBestEffort.sideAction({ site, side: 'primary', action: 'fence' }), { detail: (a) => a.detail });
  }
  await run.fault('fence');
}

/** Drills restore into <drill.targetDir>/<asset>, never the standby's live folders; undo = remove the drill copy. */
async function restoreDrill(run: FailoverRun, brief: SiteBrief, snaps: SelectedSnapshot[]): Promise<string> {
  const { saga } = run;
  const site = brief.site;
  const parts = await allSettledOrThrow(
    snaps.map(async (s) => {
      const childId = run.childId('drill', s.asset);
      saga.onUndo(`remove the drill copy of ${s.asset}`, () => undo.cleanDrill({ site, asset: s.asset, restorePrefix: childId }));
      await bookkeeping.cleanDrill({ site, asset: s.asset }); // a previous drill killed mid-way
      const target = brief.drill!.find((d) => d.asset === s.asset)!.targetDir;
      const r = await executeChild(restoreWorkflow, {
        workflowId: childId,
        args: [{ asset: s.asset, snapshot: s.id, target }],
        staticSummary: `drill restore of ${s.asset} for ${site}`,
      });
      return `${s.asset}: ${r.files} files, ${r.bytes} bytes -> ${r.target}`;
    }),
  );
  return parts.join('; ');
}

/** A drill's normal end: run its undos (remove the drill copies) as the "cleanup" step. */
async function drillCleanup(run: FailoverRun): Promise<void> {
  const { saga } = run;
  await saga.step(
    'cleanup',
    async () => {
      const undos = saga.takeUndos();
      const done: Compensation[] = [];
      await runUndos([...undos].reverse(), done, () => run.refresh());
      const failed = done.filter((c) => c.status === 'failed');
      if (failed.length) {
        // hand the failed ones back, so the compensation retries them and the outcome says "failed"
        for (const u of undos) if (failed.some((f) => f.name === u.name)) saga.onUndo(u.name, u.run);
        throw ApplicationFailure.nonRetryable(`drill cleanup failed: ${failed.map((f) => `${f.name}: ${f.error}`).join('; ')}`, FailureType.CleanupFailed);
      }
      return done.map((c) => c.name).join(', ');
    },
    { detail: (d) => d },
  );
}

/** After success: the standby's kept-aside previous data is no longer needed (best effort). */
async function discardPreserved(run: FailoverRun, brief: SiteBrief, snaps: SelectedSnapshot[]): Promise<void> {
  run.saga.takeUndos();
  for (const s of snaps) {
    try {
      await bookkeeping.discardPreserved({ site: brief.site, side: 'standby', asset: s.asset, key: run.reportId });
    } catch {
      // housekeeping only: a leftover ".lepton-prev-*" folder is logged by the activity's retries
    }
  }
}
