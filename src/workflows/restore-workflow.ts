import { CancellationScope, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/activity-types';
import { batchStep, BATCH_FAN_OUT, shortStep } from './activity-options';
import { mapLimit } from '../common/map-limit';
import { humanBytes } from '../common/format';
import { RestoreInputSchema } from '../contracts/inputs';
import { progressQuery } from '../contracts/messages';
import { parseInput } from './parse-input';
import { SA_ASSET, SA_KIND, SA_SNAPSHOT } from './search-attribute-keys';
import type { RestoreResult, RunProgress } from '../contracts/types';
import { outcomeOf, RunHooks } from './asset-hooks';
import { failureText } from '../common/failure-text';

const steps = proxyActivities<Activities>(shortStep);
const batches = proxyActivities<Activities>(batchStep);

/**
 * Restore a snapshot: select -> write batches into a staging folder, every chunk verified ->
 * swap staging into the target -> postRestore hook. Any failure (or cancel) removes the staging
 * folder, the target is never half-written, and postRestore is told the outcome. Input from the UI: {"asset": "checkpoints", "target": "/srv/restore"}.
 */
export async function restoreWorkflow(rawInput: unknown): Promise<RestoreResult> {
  const input = parseInput(RestoreInputSchema, rawInput, 'restore input');
  const progress: RunProgress = { phase: 'selecting', batches: 0, batchesDone: 0, bytesTotal: 0, bytesDone: 0 };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([{ key: SA_KIND, value: 'restore' }, ...(input.asset ? [{ key: SA_ASSET, value: input.asset }] : [])]);
  const restoreId = `${workflowInfo().workflowId}-${uuid4().slice(0, 8)}`.replace(/[^a-zA-Z0-9._-]/g, '_');
  // a failover, drill or failback runs its site's afterRestore instead (a drill must not reload production)
  const hooks = workflowInfo().parent ? undefined : new RunHooks();
  let asset = input.asset;

  try {
    const plan = await steps.planRestore({ ...input, restoreId });
    asset = plan.asset;
    upsertSearchAttributes([
      { key: SA_ASSET, value: plan.asset },
      { key: SA_SNAPSHOT, value: plan.snapshotId },
    ]);
    progress.phase = 'restoring';
    progress.batches = plan.batches;
    progress.bytesTotal = plan.bytes;
    setCurrentDetails(`restoring snapshot ${plan.snapshotId.slice(0, 8)} of ${plan.asset} into ${plan.target}: ${plan.files} files, ${humanBytes(plan.bytes)}`);
    await mapLimit(
      Array.from({ length: plan.batches }, (_, i) => i),
      BATCH_FAN_OUT,
      async (batch) => {
        const r = await batches.restoreBatch({ restoreId, batch });
        progress.batchesDone++;
        progress.bytesDone += r.bytesDone;
      },
    );
    progress.phase = 'swapping';
    const out = await steps.finishRestore({ restoreId });
    await steps.cleanupRestore({ restoreId });
    progress.phase = 'done';
    await hooks?.post({ asset: plan.asset, hook: 'postRestore', outcome: 'success', snapshotId: plan.snapshotId, target: out.target });
    const ran = hooks?.reports.length ? `; hooks: ${hooks.describe()}` : '';
    const summary = `restored snapshot ${plan.snapshotId.slice(0, 8)} of ${plan.asset} (${plan.snapshotTime}) into ${out.target}: ${out.files} files, ${humanBytes(out.bytes)}, verified${ran}`;
    setCurrentDetails(summary);
    return {
      snapshotId: plan.snapshotId,
      snapshotTime: plan.snapshotTime,
      asset: plan.asset,
      target: out.target,
      files: out.files,
      bytes: out.bytes,
      summary,
      ...(ran ? { hooks: hooks?.reports } : {}),
    };
  } catch (err) {
    progress.phase = 'failed';
    await CancellationScope.nonCancellable(() => steps.abortRestore({ restoreId, target: input.target }));
    if (asset) await hooks?.post({ asset, hook: 'postRestore', outcome: outcomeOf(err), target: input.target, error: failureText(err).slice(0, 500) });
    throw err;
  }
}
