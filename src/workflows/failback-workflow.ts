import { executeChild } from '@temporalio/workflow';
import type { FailoverReport } from '../common/failover-report';
import { backupWorkflow } from './backup-workflow';
import { FailbackInputSchema, type FailbackParsedInput } from '../contracts/failover-inputs';
import { bookkeeping, fenceRequired, health, undo } from './failover-options';
import { FailoverRun, runOptionsOf } from './failover-run';
import { parseInput } from './parse-input';
import type { SelectedSnapshot, SiteBrief } from '../contracts/failover-types';
import { restoreOntoSide } from './restore-onto-side';
import { switchAndValidate } from './switch-and-validate';
import { restoreWorkflow } from './restore-workflow';
import { allSettledOrThrow } from './saga';

/** Ad-hoc asset that holds the standby's data for a failback ("<site>.<asset>.standby"). */
export const standbyAssetName = (site: string, asset: string): string => `${site}.${asset}.standby`;

/**
 * Failback after the primary recovered, with the same saga discipline as the failover:
 *   open incident -> back up the standby's data (backupWorkflow children; or, with
 *   from: "snapshot", select the newest snapshots) -> restore onto the primary (its current data
 *   kept aside; undo puts it back) -> unfence the primary (undo: fence it again) -> verify the
 *   primary -> approval gate -> switch traffic back (undo: to the standby) -> validate through
 *   the traffic path -> write the report. After the gate and before the switch the standby's
 *   writers are fenced (standby.fence; undo: standby.unfence) and, with from: "standby", a final
 *   incremental backup of the standby is restored onto the primary, so no write is lost.
 * The primary is unfenced before it is verified: a fenced server does not answer its health
 * checks; traffic reaches it only with the switch.
 * Runs under the failover's workflow id "failover-<site>": never at the same time as a failover.
 * UI input: {"site": "demo", "reason": "rack A repaired"}
 */
export async function failbackWorkflow(rawInput: unknown): Promise<FailoverReport> {
  const input: FailbackParsedInput = parseInput(FailbackInputSchema, rawInput, 'failback input');
  const run = new FailoverRun(runOptionsOf('failback', 'failback', input));
  const { saga } = run;
  const site = input.site;
  try {
    const brief: SiteBrief = await saga.step(
      'open-incident',
      () => bookkeeping.openIncident({ site, mode: 'failback', faultInjection: Boolean(input.faultInjection), force: input.force, from: input.from }),
      { detail: (b) => `failback by ${input.source}${input.reason ? `: ${input.reason}` : ''}; traffic on ${b.trafficOn}` },
    );
    run.opened(brief.objectives);
    await run.fault('open-incident');
    const from = input.from ?? brief.failbackFrom;

    let snaps: SelectedSnapshot[];
    if (from === 'standby') {
      snaps = await saga.step('backup-standby', () => backupStandby(run, brief), {
        detail: (s) => s.map((x) => `${x.asset} -> snapshot ${x.id.slice(0, 12)}`).join(', '),
      });
      await run.fault('backup-standby');
      saga.skip('select-snapshot', "the standby's fresh backup is restored");
    } else {
      saga.skip('backup-standby', 'from: snapshot');
      snaps = await saga.step(
        'select-snapshot',
        () => bookkeeping.selectSnapshots({ site, side: 'primary', snapshot: input.snapshot, snapshots: input.snapshots, before: input.before }),
        {
          detail: (s) => s.map((x) => `${x.asset} ${x.id.slice(0, 12)} (${x.time})`).join(', '),
        },
      );
      await run.fault('select-snapshot');
    }
    run.recordSnapshots(snaps);

    await saga.step('restore', () => restoreOntoSide(run, brief, 'primary', snaps, { purpose: 'failback', byIdOnly: true }), { detail: (d) => d });
    await run.fault('restore');

    if (brief.primary.unfence) {
      if (brief.primary.fence) saga.onUndo('fence the primary again', () => undo.sideAction({ site, side: 'primary', action: 'fence' }));
      await saga.step('unfence', () => bookkeeping.sideAction({ site, side: 'primary', action: 'unfence' }), { detail: (a) => a.detail });
    } else saga.skip('unfence', 'the site defines no primary.unfence action');
    await run.fault('unfence');

    await saga.step('verify', () => health.verifySide({ site, side: 'primary', snapshots: snaps }), {
      detail: (h) => `${h.checks.length} check(s) passed in ${h.durationMs} ms`,
    });
    await run.fault('verify');

    await run.gate.pass(
      saga,
      {
        required: input.skipApproval ? false : (input.approval?.required ?? brief.approval.required),
        timeoutMs: input.approval?.timeout ?? brief.approval.timeoutMs,
        onTimeout: input.approval?.onTimeout ?? brief.approval.onTimeout,
      },
      input.skipApproval ? 'skipped by the input (skipApproval)' : 'not required by the approval policy',
    );
    await run.fault('approval');

    // The standby is production now: fence its writers only after the gate, then carry what
    // they wrote since the first backup over to the primary (an incremental backup: fast).
    if (brief.standby.fence) {
      if (brief.standby.unfence) saga.onUndo('unfence the standby', () => undo.sideAction({ site, side: 'standby', action: 'unfence' }));
      await saga.step('fence-standby', () => fenceRequired.sideAction({ site, side: 'standby', action: 'fence' }), { detail: (a) => a.detail });
    } else saga.skip('fence-standby', 'the site defines no standby.fence action');
    await run.fault('fence-standby');
    if (from === 'standby') {
      const finalSnaps = await saga.step('final-sync', () => finalSync(run, brief), {
        detail: (s) => s.map((x) => `${x.asset} -> snapshot ${x.id.slice(0, 12)}`).join(', '),
      });
      run.recordSnapshots(finalSnaps);
      snaps = finalSnaps;
    } else saga.skip('final-sync', 'from: snapshot (the standby wrote nothing worth keeping)');
    await run.fault('final-sync');

    await switchAndValidate(run, site, 'primary', snaps);

    await run.writeSucceeded();
    saga.takeUndos();
    for (const s of snaps) {
      try {
        await bookkeeping.discardPreserved({ site, side: 'primary', asset: s.asset, key: run.reportId });
      } catch {
        // housekeeping only
      }
    }
    return run.succeeded();
  } catch (err) {
    return run.failed(err);
  }
}

/** Back up each asset's standby folder as the ad-hoc asset "<site>.<asset>.standby". A snapshot needs no undo. */
async function backupStandby(run: FailoverRun, brief: SiteBrief, what = 'backup'): Promise<SelectedSnapshot[]> {
  return allSettledOrThrow(
    brief.primary.restore.map(async (p) => {
      const source = brief.standby.restore.find((s) => s.asset === p.asset)!.targetDir;
      const r = await executeChild(backupWorkflow, {
        workflowId: run.childId(what, p.asset),
        args: [{ asset: standbyAssetName(brief.site, p.asset), source, tags: ['failback'], reason: `failback of ${brief.site}` }],
        staticSummary: `failback: back up the standby's ${p.asset} of ${brief.site}`,
      });
      return { asset: p.asset, id: r.id, time: r.time, files: r.files, bytes: r.bytes };
    }),
  );
}

/**
 * With the standby fenced: back it up once more (incremental on the first backup) and restore
 * that onto the primary (undo: put the primary's previous data back, restore leftovers of this
 * child removed), then make the primary load it.
 */
async function finalSync(run: FailoverRun, brief: SiteBrief): Promise<SelectedSnapshot[]> {
  const { saga } = run;
  const site = brief.site;
  const snaps = await backupStandby(run, brief, 'final-backup');
  await allSettledOrThrow(
    snaps.map(async (s) => {
      const target = brief.primary.restore.find((r) => r.asset === s.asset)!.targetDir;
      const childId = run.childId('final-restore', s.asset);
      saga.onUndo(`put back the primary's previous ${s.asset} (final sync)`, () =>
        undo.putBackTarget({ site, side: 'primary', asset: s.asset, key: run.reportId, restorePrefix: childId }),
      );
      await executeChild(restoreWorkflow, {
        workflowId: childId,
        args: [{ snapshot: s.id, target }],
        staticSummary: `failback final sync of ${s.asset} onto the primary of ${site}`,
      });
    }),
  );
  if (brief.primary.afterRestore) await bookkeeping.sideAction({ site, side: 'primary', action: 'afterRestore' });
  return snaps;
}
