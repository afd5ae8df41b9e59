export { backupWorkflow } from './backup-workflow';
export { restoreWorkflow } from './restore-workflow';
export { listSnapshotsWorkflow } from './list-snapshots-workflow';
export { pruneWorkflow, statsWorkflow, verifyWorkflow } from './maintenance-workflows';
export { failoverWorkflow } from './failover-workflow';
export { failbackWorkflow } from './failback-workflow';
export { failoverReportWorkflow, drStatusWorkflow } from './failover-report-workflow';
export { predictionWorkflow } from './prediction-workflow';
export { trainingWorkflow } from './training-workflow';
