import { proxyActivities } from '@temporalio/workflow';
import { parseInput } from './parse-input';
import type { Activities } from '../activities/activity-types';
import { shortStep } from './activity-options';
import { ListSnapshotsInputSchema } from '../contracts/inputs';
import type { SnapshotSummary } from '../contracts/types';

const steps = proxyActivities<Activities>(shortStep);

/** Lists verified snapshots, so the CLI needs only Temporal access, never storage credentials. */
export async function listSnapshotsWorkflow(rawInput: unknown): Promise<{ snapshots: SnapshotSummary[]; invalid: string[] }> {
  return steps.listSnapshots(parseInput(ListSnapshotsInputSchema, rawInput, 'input'));
}
