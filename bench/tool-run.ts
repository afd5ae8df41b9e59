import { check, runMeasured, type ProcResult } from './measure';
import type { ResticBackup, ResticRun } from './restic';

/** One reference tool's binary and environment: every command measured, and refused unless it exits 0. */
export class MeasuredCommand {
  constructor(
    readonly bin: string,
    readonly env: NodeJS.ProcessEnv,
    /** names the tool in failures, e.g. "restic" */
    readonly name: string,
  ) {}

  run(args: string[], what: string): Promise<ProcResult> {
    return runMeasured(this.bin, args, { env: this.env }).then((r) => check(r, `${this.name} ${what}`));
  }
}

/** The measured part of a run. */
export const runOf = (r: ProcResult): ResticRun => ({ wallMs: r.wallMs, maxRssKiB: r.maxRssKiB, cpuS: r.cpuS, load1: r.load1 });

/** A backup run from its summary in restic's field names (rustic prints the same ones). */
export function backupOf(r: ProcResult, snapshotId: string, s: Record<string, unknown>): ResticBackup {
  return {
    ...runOf(r),
    snapshotId,
    dataAdded: Number(s.data_added),
    filesNew: Number(s.files_new),
    filesChanged: Number(s.files_changed),
    filesUnmodified: Number(s.files_unmodified),
    bytesProcessed: Number(s.total_bytes_processed),
    totalDurationS: Number(s.total_duration),
  };
}
