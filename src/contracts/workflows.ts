import type { FailoverReport } from '../common/failover-report';
import type { CopyInput, CopyResult } from './copy-inputs';
import type { FailbackInput, FailoverInput, ReportLookup } from './failover-inputs';
import type { SiteReadiness } from './failover-types';
import type { BackupInput, ListSnapshotsInput, RestoreInput } from './inputs';
import type { PruneInput, StatsInput, StatsResult, VerifyInput } from './maintenance-inputs';
import type { PredictionInput, TrainingInput } from './prediction-inputs';
import type { PredictionRunSummary, TrainingResult } from './prediction-types';
import type { BackupResult, RestoreResult, SnapshotSummary } from './types';

/**
 * The workflow types a client may start, by name, with their input and result. The workflows
 * are checked against this (workflows/index.ts) and the faces start them through workflowRef,
 * so a renamed workflow or a changed input or result fails the build on both sides.
 */
export interface WorkflowContracts {
  backupWorkflow(input: BackupInput): Promise<BackupResult>;
  restoreWorkflow(input: RestoreInput): Promise<RestoreResult>;
  listSnapshotsWorkflow(input: ListSnapshotsInput): Promise<{ snapshots: SnapshotSummary[]; invalid: string[] }>;
  pruneWorkflow(input: PruneInput): Promise<{ summary: string }>;
  verifyWorkflow(input: VerifyInput): Promise<{ summary: string }>;
  statsWorkflow(input: StatsInput): Promise<StatsResult>;
  failoverWorkflow(input: FailoverInput): Promise<FailoverReport>;
  failbackWorkflow(input: FailbackInput): Promise<FailoverReport>;
  failoverReportWorkflow(input: ReportLookup): Promise<FailoverReport | null>;
  drStatusWorkflow(): Promise<SiteReadiness[]>;
  copyWorkflow(input: CopyInput): Promise<CopyResult>;
  predictionWorkflow(input: PredictionInput): Promise<PredictionRunSummary>;
  trainingWorkflow(input: TrainingInput): Promise<TrainingResult>;
}
export type WorkflowName = keyof WorkflowContracts;

/**
 * A typed reference to a workflow type, for client.workflow.start/execute/signalWithStart: the
 * client reads the type name off it and takes the argument and result types from the contract.
 * It is not the workflow (that runs only in a worker's sandbox) and throws when called.
 */
export function workflowRef<N extends WorkflowName>(name: N): WorkflowContracts[N] {
  const ref = (): never => {
    throw new Error(`${name}: a workflow reference, to pass to a Temporal client`);
  };
  Object.defineProperty(ref, 'name', { value: name });
  return ref as unknown as WorkflowContracts[N];
}
