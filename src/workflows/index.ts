export { backupWorkflow } from './backup-workflow';
export { restoreWorkflow } from './restore-workflow';
export { listSnapshotsWorkflow } from './list-snapshots-workflow';
export { pruneWorkflow, statsWorkflow, verifyWorkflow } from './maintenance-workflows';
export { failoverWorkflow } from './failover-workflow';
export { failbackWorkflow } from './failback-workflow';
export { failoverReportWorkflow, drStatusWorkflow } from './failover-report-workflow';
export { predictionWorkflow } from './prediction-workflow';
export { trainingWorkflow } from './training-workflow';
export { copyWorkflow } from './copy-workflow';

import type { WorkflowContracts } from '../contracts/workflows';
import type * as registered from './index';
/** Compile-time only: every contract names an exported workflow whose signature fits it. */
type Fits<T extends WorkflowContracts> = T;
export type WorkflowsFitTheirContracts = Fits<Pick<typeof registered, keyof WorkflowContracts>>;
