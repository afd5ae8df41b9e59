import { CancellationScope, log, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/activity-types';
import { batchStep, BATCH_FAN_OUT, shortStep } from './activity-options';
import { mapLimit } from '../common/map-limit';
import { humanBytes } from '../common/format';
import { BackupInputSchema, type BackupInput } from '../contracts/inputs';
import { progressQuery } from '../contracts/messages';
import { parseInput } from './parse-input';
import { SA_ASSET, SA_KIND, SA_SNAPSHOT } from './search-attribute-keys';
import type { BackupResult, RunProgress } from '../contracts/types';
import { outcomeOf, RunHooks } from './asset-hooks';
import { failureText } from '../common/failure-text';

const steps = proxyActivities<Activities>(shortStep);
const batches = proxyActivities<Activities>(batchStep);

/**
 * Back up one asset set: preBackup hook -> scan and plan -> upload batches in parallel -> commit
 * the signed snapshot -> optional retention -> postBackup hook (always, told the outcome).
 * Input from the UI: {"asset": "checkpoints"}.
 */
export async function backupWorkflow(rawInput: unknown): Promise<BackupResult> {
  const input = parseInput(BackupInputSchema, rawInput, 'backup input');
  const progress: RunProgress = { phase: 'planning', batches: 0, batchesDone: 0, bytesTotal: 0, bytesDone: 0 };
  setHandler(progressQuery, () => progress);
  upsertSearchAttributes([
    { key: SA_ASSET, value: input.asset },
    { key: SA_KIND, value: 'backup' },
  ]);
  setCurrentDetails(`backup of ${input.asset}: planning`);

  const hooks = new RunHooks();
  let result: BackupResult;
  try {
    await hooks.pre({ asset: input.asset, hook: 'preBackup' });
    result = await backUp(input, progress);
  } catch (err) {
    await hooks.post({ asset: input.asset, hook: 'postBackup', outcome: outcomeOf(err), error: failureText(err).slice(0, 500) });
    if (hooks.reports.length)
      setCurrentDetails(`backup of ${input.asset} ${outcomeOf(err) === 'cancelled' ? 'cancelled' : 'failed'}; hooks: ${hooks.describe()}`);
    throw err;
  }
  await hooks.post({ asset: input.asset, hook: 'postBackup', outcome: 'success', snapshotId: result.id });
  if (!hooks.reports.length) return result;
  const summary = `${result.summary}; hooks: ${hooks.describe()}`;
  setCurrentDetails(summary);
  return { ...result, summary, hooks: hooks.reports };
}

/** Plan, upload, commit, retention; abandons the work list when anything fails. */
async function backUp(input: BackupInput, progress: RunProgress): Promise<BackupResult> {
  const backupId = `${workflowInfo().workflowId}-${uuid4().slice(0, 8)}`;
  const snapshotId = uuid4().replace(/-/g, '');
  const plan = await steps.planBackup({ ...input, backupId, snapshotId });
  progress.phase = 'uploading';
  progress.batches = plan.batches;
  progress.bytesTotal = plan.bytesToRead;
  log.info('backup planned', { backupId, batches: plan.batches, filesToRead: plan.filesToRead, bytesToRead: plan.bytesToRead });
  setCurrentDetails(`backup of ${input.asset}: ${plan.filesToRead} of ${plan.files} files to read (${humanBytes(plan.bytesToRead)}), ${plan.batches} batches`);

  try {
    await mapLimit(
      Array.from({ length: plan.batches }, (_, i) => i),
      BATCH_FAN_OUT,
      async (batch) => {
        const r = await batches.backupBatch({ backupId, batch });
        progress.batchesDone++;
        progress.bytesDone += r.bytesRead;
      },
    );
    progress.phase = 'committing';
    const snap = await steps.commitBackup({ backupId, snapshotId });
    upsertSearchAttributes([{ key: SA_SNAPSHOT, value: snap.id }]);
    let pruned: string[] | undefined;
    if (input.applyRetention) {
      progress.phase = 'retention';
      pruned = (await steps.applyRetention({ asset: input.asset })).forgotten;
    }
    progress.phase = 'done';
    const summary = `snapshot ${snap.id.slice(0, 8)} of ${snap.asset} (${snap.strategy}): ${snap.files} files, ${humanBytes(snap.bytes)}; read ${humanBytes(snap.bytesRead)}, uploaded ${humanBytes(snap.bytesUploaded)}`;
    setCurrentDetails(summary);
    return { ...snap, summary, ...(pruned ? { pruned } : {}) };
  } catch (err) {
    progress.phase = 'failed';
    await CancellationScope.nonCancellable(() => steps.abandonBackup({ backupId }));
    throw err;
  }
}
