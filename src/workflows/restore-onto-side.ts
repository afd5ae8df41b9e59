import { executeChild } from '@temporalio/workflow';
import type { SelectedSnapshot, SiteBrief } from '../contracts/failover-types';
import { bookkeeping, undo } from './failover-options';
import type { FailoverRun } from './failover-run';
import { restoreWorkflow } from './restore-workflow';
import { allSettledOrThrow } from './saga';

/**
 * Per asset: keep the side's current data aside (undo: put it back), restore the snapshot as a
 * child workflow; then make the side load it (undo: load the previous data again). The failover
 * restores onto the standby, the failback onto the primary.
 */
export async function restoreOntoSide(
  run: FailoverRun,
  brief: SiteBrief,
  side: 'primary' | 'standby',
  snaps: SelectedSnapshot[],
  o: { purpose: 'failover' | 'failback'; byIdOnly?: boolean },
): Promise<string> {
  const { saga } = run;
  const site = brief.site;
  if (brief[side].afterRestore) saga.onUndo(`reload the ${side} with its previous data`, () => undo.sideAction({ site, side, action: 'afterRestore' }));
  const parts = await allSettledOrThrow(
    snaps.map(async (s) => {
      const target = brief[side].restore.find((r) => r.asset === s.asset)!.targetDir;
      const childId = run.childId('restore', s.asset);
      const kept: { existed?: boolean } = {};
      saga.onUndo(`put back the ${side}'s previous ${s.asset}`, () =>
        undo.putBackTarget({ site, side, asset: s.asset, key: run.reportId, restorePrefix: childId, ...kept }),
      );
      kept.existed = (await bookkeeping.preserveTarget({ site, side, asset: s.asset, key: run.reportId })).existed;
      const r = await executeChild(restoreWorkflow, {
        workflowId: childId,
        args: [o.byIdOnly ? { snapshot: s.id, target } : { asset: s.asset, snapshot: s.id, target }],
        staticSummary: `${o.purpose} restore of ${s.asset} onto the ${side} of ${site}`,
      });
      return `${s.asset}: ${r.files} files, ${r.bytes} bytes -> ${r.target}`;
    }),
  );
  if (brief[side].afterRestore) await bookkeeping.sideAction({ site, side, action: 'afterRestore' });
  return parts.join('; ');
}
