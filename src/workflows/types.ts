/** Plain data exchanged between workflows and activities (no bytes, no secrets). */
export interface BackupPlanRef {
  backupId: string;
  snapshotId: string;
  parent?: string;
  strategy: 'full' | 'incremental' | 'differential';
  batches: number;
  files: number;
  bytes: number;
  filesToRead: number;
  bytesToRead: number;
}

export interface SnapshotSummary {
  id: string;
  time: string;
  asset: string;
  host: string;
  strategy: string;
  parent?: string;
  tags: string[];
  files: number;
  bytes: number;
  bytesRead: number;
  bytesNew: number;
  bytesUploaded: number;
  filesUnchanged: number;
}

export interface RestorePlanRef {
  restoreId: string;
  snapshotId: string;
  snapshotTime: string;
  asset: string;
  target: string;
  staging: string;
  batches: number;
  files: number;
  bytes: number;
}

export interface RestoreResult {
  snapshotId: string;
  snapshotTime: string;
  asset: string;
  target: string;
  files: number;
  bytes: number;
  summary: string;
}

export interface BackupResult extends SnapshotSummary {
  summary: string;
  pruned?: string[];
}

export interface RunProgress {
  phase: string;
  batches: number;
  batchesDone: number;
  bytesTotal: number;
  bytesDone: number;
}
