import type { PlanSummary } from '../engine/backup/plan-backup';
import type { RestorePlanSummary } from '../engine/restore/plan-restore';
import type { HookReport } from '../hooks/asset-hooks';

// Plain data exchanged between the backup/restore workflows and their activities (no bytes, no secrets).

/** What the scan step returns: the engine's plan summary (references only). */
export type BackupPlanRef = PlanSummary;

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

/** What the restore's select step returns. */
export type RestorePlanRef = RestorePlanSummary;

export interface RestoreResult {
  snapshotId: string;
  snapshotTime: string;
  asset: string;
  target: string;
  files: number;
  bytes: number;
  summary: string;
  /** the asset's postRestore hook, when it has one */
  hooks?: HookReport[];
}

export interface BackupResult extends SnapshotSummary {
  summary: string;
  pruned?: string[];
  /** the asset's preBackup and postBackup hooks, when it has them (output truncated and redacted) */
  hooks?: HookReport[];
}

export interface RunProgress {
  phase: string;
  batches: number;
  batchesDone: number;
  bytesTotal: number;
  bytesDone: number;
}
