import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/activity-types';
import { shortStep } from './activity-options';
import { formatIssues, ListSnapshotsInputSchema } from '../contracts/inputs';
import type { SnapshotSummary } from '../contracts/types';
import { FailureType } from '../common/failure-types';

const steps = proxyActivities<Activities>(shortStep);

/** Lists verified snapshots, so the CLI needs only Temporal access, never storage credentials. */
export async function listSnapshotsWorkflow(rawInput: unknown): Promise<{ snapshots: SnapshotSummary[]; invalid: string[] }> {
  const parsed = ListSnapshotsInputSchema.safeParse(rawInput ?? {});
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid input: ${formatIssues(parsed.error)}`, FailureType.BadInput);
  return steps.listSnapshots(parsed.data);
}
