import os from 'node:os';
import { findSignedJson } from '../repo/json-documents';
import { batchKey, partialKey, resultKey } from '../repo/layout';
import { BadInputError, NotFoundError, SourceChangedError } from '../../common/errors';
import { openSource } from '../source/open-source';
import type { BackupSource } from '../source/source';
import type { ChunkTask, ChunkTaskResult } from '../chunker/chunk-task';
import { sealNewChunks } from './seal-new-chunks';
import { TaskReads } from './task-reads';
import { freeBuffer } from '../../common/free-buffer';
import type { ChunkPool } from '../chunker/pool';
import type { Repository } from '../repo/repository';
import type { BlobStore } from '../store/blob-store';
import { readSignedJson, writeSignedJson } from '../repo/signed-doc';
import { markedPacks } from '../maintenance/pack-safety';
import { batchView, type AssetLimitsOf } from '../limits/host-limits';
import { PackUploader } from './pack-uploader';
import { BatchResultSchema, BatchSchema, PartialSchema, type BatchResult, type WorkItem } from './work-plan';
import { isAppendOnly } from '../store/append-only';
import { canWithdraw } from '../maintenance/pack-safety';
import { Semaphore } from '../limits/semaphore';

export interface BatchProgress {
  /** items whose chunks are all durable in the repository: the resume cursor */
  itemsDone: number;
  items: number;
  bytesRead: number;
  bytesTotal: number;
}

export interface RunBatchOptions {
  backupId: string;
  batch: number;
  /** cursor from a previous attempt's last heartbeat */
  resumeFrom?: number;
  pool?: ChunkPool;
  /** the source already open (tests wrap its client); else opened from the batch */
  reader?: BackupSource;
  onProgress?: (p: BatchProgress) => void;
  /** the batch's asset's bandwidth buckets (shared by the process), within the repository store's own limits */
  assetLimits?: AssetLimitsOf;
  /** checked between tasks; throw to stop (cancellation) */
  checkpoint?: () => void;
}

/**
 * Batches reading and uploading in this process at once, whatever run they belong to: one per
 * core (at least two). Each holds a pack filling, a task read and its sealed blobs, about 50 MiB;
 * a worker given four batches of one run (BATCH_FAN_OUT, meant to spread a run over several
 * workers) ran all four where engine-direct runs two, on the same two chunk threads. A batch
 * waiting for its place keeps heartbeating (the worker's keep-alive), and holds nothing.
 */
export const batchSlots = new Semaphore(Math.max(2, os.availableParallelism()));

const TASK_BYTES = 16 * 1024 * 1024;
const TASK_ITEMS = 256;

function groupTasks(repo: Repository, source: BackupSource, items: WorkItem[], from: number): { task: ChunkTask; first: number }[] {
  const task = (taskId: number, segments: ChunkTask['segments']): ChunkTask => ({ taskId, segments, params: repo.chunker, idKeyHex: repo.codec.idKeyHex });
  const out: { task: ChunkTask; first: number }[] = [];
  let segs: ChunkTask['segments'] = [];
  let first = from;
  let bytes = 0;
  for (let i = from; i < items.length; i++) {
    const it = items[i];
    if (segs.length && (bytes + (it.end - it.start) > TASK_BYTES || segs.length >= TASK_ITEMS)) {
      out.push({ task: task(out.length, segs), first });
      segs = [];
      bytes = 0;
      first = i;
    }
    segs.push({ path: source.segmentPath(it), start: it.start, end: it.end });
    bytes += it.end - it.start;
  }
  if (segs.length) out.push({ task: task(out.length, segs), first });
  return out;
}

/**
 * Read, chunk, deduplicate and upload one batch of the work list. Idempotent: a finished
 * batch returns its stored result; an interrupted one resumes after its last durable item.
 */
export async function runBackupBatch(repo: Repository, o: RunBatchOptions): Promise<BatchResult['stats']> {
  const store = repo.store;
  if (await store.head(resultKey(o.backupId, o.batch))) {
    return (await readSignedJson(repo, resultKey(o.backupId, o.batch), BatchResultSchema)).stats;
  }
  let batch;
  try {
    batch = await readSignedJson(repo, batchKey(o.backupId, o.batch), BatchSchema);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`backup ${o.backupId} has no batch ${o.batch}`);
    throw e;
  }
  const items = batch.items;
  const chunks: string[][] = [];
  let start = 0;
  const partial = o.resumeFrom ? await findSignedJson(repo, partialKey(o.backupId, o.batch), PartialSchema) : undefined;
  if (partial) {
    chunks.push(...partial.chunks.slice(0, partial.itemsDone));
    start = chunks.length;
  }
  const view = batchView(repo.store, batch.asset, o.assetLimits);
  const reader = o.reader ?? (await openSource(batch.source, batch.s3, process.env, view.download));
  try {
    return await batchSlots.run(() => chunkAndUpload(repo, o, reader, items, start, chunks, view.store));
  } finally {
    if (!o.reader) reader.close?.();
  }
}

async function chunkAndUpload(
  repo: Repository,
  o: RunBatchOptions,
  reader: BackupSource,
  items: WorkItem[],
  start: number,
  chunks: string[][],
  /** where packs go: the repository's store under the asset's limits */
  packStore: BlobStore,
): Promise<BatchResult['stats']> {
  const store = repo.store;
  const [index, marked] = await Promise.all([repo.loadIndex(true), markedPacks(repo, Date.now())]);
  const oneIndex = canWithdraw(repo);
  const up = new PackUploader(packStore, index, repo.packSize, { avoid: marked, oneIndexAtEnd: oneIndex });
  const stats = { filesRead: 0, bytesRead: 0, chunksNew: 0, bytesNew: 0, bytesUploaded: 0, packsWritten: 0 };
  const bytesTotal = items.reduce((s, it) => s + it.end - it.start, 0);
  let durable = start;
  const report = () => o.onProgress?.({ itemsDone: durable, items: items.length, bytesRead: stats.bytesRead, bytesTotal });

  const markDurable = (upTo: number) => async () => {
    if (upTo <= durable) return;
    stats.bytesUploaded += await writeSignedJson(repo, partialKey(o.backupId, o.batch), { v: 1, itemsDone: upTo, chunks: chunks.slice(0, upTo) });
    durable = upTo;
    report();
  };

  const tasks = groupTasks(repo, reader, items, start);
  const run = (t: ChunkTask): Promise<ChunkTaskResult> => {
    const p = reader.chunk(t, o.pool);
    // read-ahead of a batch that stops early: no unhandled rejection
    p.catch(() => undefined);
    return p;
  };
  // at most one task per worker plus one ready: more read-ahead only holds memory, the uploads set the pace
  const reads = new TaskReads(
    tasks.map((t) => t.task),
    run,
    (o.pool?.size ?? 1) + 1,
  );
  try {
    await readAndPack();
  } catch (e) {
    // a batch that gives up leaves no write of its own landing after it: a retry reads the progress record next
    await up.settle();
    throw e;
  } finally {
    reads.close();
  }
  async function readAndPack(): Promise<void> {
    for (let t = 0; t < tasks.length; t++) {
      o.checkpoint?.();
      const res = await reads.take();
      const sealed = await sealNewChunks(repo, o.pool, res, (id) => up.known(id));
      for (let s = 0; s < res.results.length; s++) {
        const itemNo = tasks[t].first + s;
        const it = items[itemNo];
        const r = res.results[s];
        if ('error' in r) {
          if (r.code === 'CHANGED' || r.code === 'ENOENT')
            throw new SourceChangedError(`source file ${it.path} changed or vanished during the backup: ${r.error}`);
          throw new BadInputError(`source file ${it.path} cannot be read: ${r.error}`);
        }
        const ids: string[] = [];
        chunks[itemNo] = ids;
        for (const c of r.chunks) {
          ids.push(c.id);
          if (up.known(c.id)) continue;
          stats.chunksNew++;
          stats.bytesNew += c.len;
          const blob = sealed.blobs.get(c.id);
          // known() only ever turns true: a chunk new now was new when the task was sealed
          if (!blob) throw new Error(`chunk ${c.id.slice(0, 12)} is new but was not sealed`);
          if (up.add(c.id, 'data', blob.stored, blob.rawLength)) {
            // every earlier item is complete; this one too once its last chunk is in
            const last = c === r.chunks[r.chunks.length - 1];
            await up.flush(markDurable(last ? itemNo + 1 : itemNo));
          }
        }
        // sections of one file arrive as several items; count the file once
        if (it.start === 0) stats.filesRead++;
        stats.bytesRead += it.end - it.start;
      }
      // every new blob of the task is in a pack (copied): its buffers are freed now, not at some later GC
      freeBuffer(sealed.buffer);
      freeBuffer(res.data);
      report();
    }
    await up.flush(markDurable(items.length));
    await up.drain();
  }
  if (oneIndex) repo.indexObjectsMerged(await up.consolidateIndex(store));
  stats.bytesUploaded += up.bytesUploaded;
  stats.packsWritten = up.packsWritten;
  const result: BatchResult = { v: 1, chunks, stats };
  await writeSignedJson(repo, resultKey(o.backupId, o.batch), result);
  // the partial is superseded by the result; an append-only worker leaves it for prune's sweep
  if (!isAppendOnly(store)) await store.delete(partialKey(o.backupId, o.batch));
  return stats;
}
