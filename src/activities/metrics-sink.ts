/**
 * What the activities report for Prometheus, as plain events; the worker's implementation
 * (src/worker/dr-metrics.ts) turns them into series. Activities without a sink report nothing.
 */
export interface MetricsSink {
  backupCommitted(e: { asset: string; files: number; bytes: number; bytesRead: number; bytesUploaded: number; startedAt: string; at: number }): void;
  restoreFinished(e: { files: number; bytes: number }): void;
  verifyFinished(e: { errors: number; packsRead: number; bytesRead: number; at: number }): void;
  pruneFinished(e: { bytesFreed: number; packsDeleted: number; packsMarked: number; blocked: boolean }): void;
  failoverFinished(e: {
    site: string;
    mode: string;
    outcome: string;
    rtoMs: number | null;
    rpoMs: number | null;
    objectives: { rtoSeconds: number; rpoSeconds: number };
    at: number;
  }): void;
}
