import { parentPort } from 'node:worker_threads';
import { chunkSegments } from './chunk-segments';
import type { ChunkTask } from './chunk-task';

parentPort?.on('message', (task: ChunkTask) => {
  const r = chunkSegments(task);
  parentPort?.postMessage(r, [r.data]);
});
