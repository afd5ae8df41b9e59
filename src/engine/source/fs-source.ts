import { chunkSegments } from '../chunker/chunk-segments';
import type { ChunkTask, ChunkTaskResult } from '../chunker/chunk-task';
import type { ChunkPool } from '../chunker/pool';
import { joinFs } from '../fs/raw-path';
import { scanSource, type ScanResult } from '../backup/scan';
import type { WorkItem } from '../backup/work-plan';
import type { BackupSource, SourceFilter } from './source';

/** A local folder: scanned with lstat, read by the chunk workers themselves (no copy through the main thread). */
export class FsSource implements BackupSource {
  constructor(readonly url: string) {}

  scan(filter: SourceFilter): Promise<ScanResult> {
    return scanSource({ source: this.url, ...filter });
  }

  segmentPath(item: WorkItem): string | Buffer {
    return joinFs(this.url, item);
  }

  chunk(task: ChunkTask, pool?: ChunkPool): Promise<ChunkTaskResult> {
    return pool ? pool.run(task) : Promise.resolve(chunkSegments(task));
  }
}
