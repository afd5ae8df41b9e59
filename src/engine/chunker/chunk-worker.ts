import { parentPort, workerData } from 'node:worker_threads';
import { chunkSegments } from './chunk-segments';
import type { ChunkTask } from './chunk-task';
import { lowerThreadPriority, type ChunkPriority } from './thread-priority';

// before the first task: the priority covers every read and hash of this thread
parentPort?.postMessage({ ready: lowerThreadPriority((workerData as { priority?: ChunkPriority } | undefined)?.priority) });

parentPort?.on('message', (task: ChunkTask) => {
  const r = chunkSegments(task);
  parentPort?.postMessage(r, [r.data]);
});
