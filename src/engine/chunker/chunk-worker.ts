import { parentPort, workerData } from 'node:worker_threads';
import { chunkBuffer, chunkSegments } from './chunk-segments';
import type { ChunkTask } from './chunk-task';
import { lowerThreadPriority, type ChunkPriority } from './thread-priority';

// before the first task: the priority covers every read and hash of this thread
parentPort?.postMessage({ ready: lowerThreadPriority((workerData as { priority?: ChunkPriority } | undefined)?.priority) });

// a task alone: read its segments here; with `data`: its bytes, already read (an s3:// source)
parentPort?.on('message', (m: ChunkTask | { task: ChunkTask; data: ArrayBuffer }) => {
  const r = 'data' in m ? chunkBuffer(m.task, Buffer.from(m.data)) : chunkSegments(m);
  parentPort?.postMessage(r, [r.data]);
});
