import os from 'node:os';
import path from 'node:path';
import { WorkerPool } from '../../common/worker-pool';
import type { ChunkTask, ChunkTaskResult } from './chunk-task';

/** A fixed set of worker threads that read, chunk and hash file segments. */
export class ChunkPool extends WorkerPool<ChunkTask, ChunkTaskResult> {
  constructor(size: number = Math.max(1, os.availableParallelism())) {
    super(path.join(__dirname, 'chunk-worker.js'), size);
  }
}
