import type { ChunkPool } from '../chunker/pool';
import type { ChunkRef, ChunkTaskResult } from '../chunker/chunk-task';
import type { Repository, SealedBlob } from '../repo/repository';
import { sealChunks, type SealResult } from './seal-chunks';

export interface SealedChunks {
  /** the sealed blob of each new chunk of the task, by id */
  blobs: Map<string, SealedBlob>;
  /** the one buffer they are views of (free it once they are packed); absent when they are views of the task's own bytes */
  buffer?: ArrayBuffer;
}

let sealTasks = 0;

/** The task's chunks not stored yet, each once, in the order they first appear. */
export function newChunks(res: ChunkTaskResult, known: (id: string) => boolean): ChunkRef[] {
  const seen = new Set<string>();
  const out: ChunkRef[] = [];
  for (const r of res.results) {
    if ('error' in r) continue;
    for (const c of r.chunks) {
      if (seen.has(c.id) || known(c.id)) continue;
      seen.add(c.id);
      out.push(c);
    }
  }
  return out;
}

/**
 * Compress and seal a chunked task's new chunks, in one of the pool's threads when there is a
 * pool (the main thread then only packs and uploads), else here. The task's bytes go with them
 * (transferred) unless the repository neither encrypts nor compresses: then the blobs are views
 * of those bytes, no copy.
 */
export async function sealNewChunks(
  repo: Repository,
  pool: ChunkPool | undefined,
  res: ChunkTaskResult,
  known: (id: string) => boolean,
): Promise<SealedChunks> {
  const fresh = newChunks(res, known);
  const blobs = new Map<string, SealedBlob>();
  if (!fresh.length) return { blobs };
  if (!repo.codec.encrypted && repo.compression === 'off') {
    for (const c of fresh) blobs.set(c.id, { stored: Buffer.from(res.data, c.off, c.len) });
    return { blobs };
  }
  const task = { taskId: ++sealTasks, compression: repo.compression, chunks: fresh.map((c) => ({ off: c.off, len: c.len })) };
  const r: SealResult = pool ? await pool.seal(repo.codec, task, res.data) : sealChunks(repo.codec, task, Buffer.from(res.data));
  if ('error' in r) throw new Error(`sealing new chunks: ${r.error}`);
  let at = 0;
  fresh.forEach((c, i) => {
    blobs.set(c.id, { stored: Buffer.from(r.data, at, r.stored[i]), rawLength: r.raw[i] < 0 ? undefined : r.raw[i] });
    at += r.stored[i];
  });
  return { blobs, buffer: r.data };
}
