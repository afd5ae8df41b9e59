import type { ChunkerParams } from './fastcdc';

/** Messages between the backup pipeline and its chunking workers. */
export interface Segment {
  /** bytes when the name is not UTF-8 (a Buffer arrives in a worker as a Uint8Array) */
  path: string | Uint8Array;
  /** byte range of the file to chunk, end exclusive */
  start: number;
  end: number;
}

export interface ChunkRef {
  id: string;
  /** offset of the chunk inside the task's data buffer */
  off: number;
  len: number;
}

export interface ChunkTask {
  taskId: number;
  segments: Segment[];
  params: ChunkerParams;
  /** HMAC key for chunk ids of encrypted repositories; plain SHA-256 when absent */
  idKeyHex?: string;
}

export type SegmentResult = { chunks: ChunkRef[] } | { error: string; code?: string };

export interface ChunkTaskResult {
  taskId: number;
  /** all segments' bytes, back to back; transferred, not copied */
  data: ArrayBuffer;
  results: SegmentResult[];
}
