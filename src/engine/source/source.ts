import type { ChunkTask, ChunkTaskResult } from '../chunker/chunk-task';
import type { ChunkPool } from '../chunker/pool';
import type { ScanResult } from '../backup/scan';
import type { WorkItem } from '../backup/work-plan';

export interface SourceFilter {
  include?: string[];
  exclude?: string[];
}

/**
 * What a backup reads, in the spirit of restic's fs.FS: list entries with their metadata and
 * change key, then read and chunk byte ranges of files. A local folder and an S3 prefix are
 * the two kinds (fs-source.ts, s3-source.ts).
 */
export interface BackupSource {
  /** as recorded in plans and snapshots: a folder path or s3://bucket/prefix */
  readonly url: string;
  /** every entry in tree order (sorted by name per folder, a folder before its content) */
  scan(filter: SourceFilter): Promise<ScanResult>;
  /** where a work item's bytes are, in the form `chunk` expects */
  segmentPath(item: WorkItem): string | Buffer;
  /** read, chunk and hash one task's segments */
  chunk(task: ChunkTask, pool?: ChunkPool): Promise<ChunkTaskResult>;
  close?(): void;
}
