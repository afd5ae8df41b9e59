import { parentPort, workerData } from 'node:worker_threads';
import { sealChunks, type SealResult, type SealTask } from '../backup/seal-chunks';
import { keyedCodec, plainCodec, type BlobCodec } from '../repo/blob-codec';
import { openRange, type OpenRangeResult, type OpenRangeTask } from '../restore/open-range';
import { chunkBuffer, chunkSegments } from './chunk-segments';
import type { ChunkTask } from './chunk-task';
import { lowerThreadPriority, type ChunkPriority } from './thread-priority';

// before the first task: the priority covers every read and hash of this thread
parentPort?.postMessage({ ready: lowerThreadPriority((workerData as { priority?: ChunkPriority } | undefined)?.priority) });

/** the codecs of the encrypted repositories whose ranges this thread opens, by BlobCodec.keysRef */
const codecs = new Map<string, BlobCodec>();
const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

const NO_KEYS = 'this thread was not given the repository keys';

/** the codec a task names: plain without keysRef, undefined when this thread lacks those keys */
const codecOf = (keysRef?: string): BlobCodec | undefined => (keysRef ? codecs.get(keysRef) : plainCodec);

function open(task: OpenRangeTask, data: ArrayBuffer): OpenRangeResult {
  const codec = codecOf(task.keysRef);
  return codec ? openRange(codec, task, Buffer.from(data)) : { taskId: task.taskId, failed: 0, message: NO_KEYS, integrity: false };
}

function seal(task: SealTask, data: ArrayBuffer): SealResult {
  const codec = codecOf(task.keysRef);
  return codec ? sealChunks(codec, task, Buffer.from(data)) : { taskId: task.taskId, error: NO_KEYS };
}

type Message =
  | ChunkTask
  | { task: ChunkTask; data: ArrayBuffer }
  | { open: OpenRangeTask; data: ArrayBuffer }
  | { seal: SealTask; data: ArrayBuffer }
  | { keys: { ref: string; encKey: Uint8Array; idKey: Uint8Array } };

// a task alone: read its segments here; with `data`: its bytes, already read (an s3:// source)
parentPort?.on('message', (m: Message) => {
  if ('keys' in m) {
    codecs.set(m.keys.ref, keyedCodec({ encKey: asBuffer(m.keys.encKey), idKey: asBuffer(m.keys.idKey) }));
    return;
  }
  const r = 'open' in m ? open(m.open, m.data) : 'seal' in m ? seal(m.seal, m.data) : 'data' in m ? chunkBuffer(m.task, Buffer.from(m.data)) : chunkSegments(m);
  parentPort?.postMessage(r, 'data' in r ? [r.data] : []);
});
