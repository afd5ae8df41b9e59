import { parentPort, workerData } from 'node:worker_threads';
import { chunkSegments } from './chunk-segments';
import type { ChunkTask } from './chunk-task';
import type { ChunkerParams } from './fastcdc';

const params = (workerData as { params: ChunkerParams }).params;

parentPort?.on('message', (task: ChunkTask) => {
  const r = chunkSegments(task, params);
  parentPort?.postMessage(r, [r.data]);
});
