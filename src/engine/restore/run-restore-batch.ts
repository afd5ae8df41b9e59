import fs from 'node:fs';
import { IntegrityError, NotFoundError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import { Semaphore } from '../limits/semaphore';
import { readSignedJson } from '../repo/signed-doc';
import { packKey, restoreBatchKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { joinFs, type FsPath } from '../fs/raw-path';
import { toSeconds, type ExactMtimes } from '../fs/mtimes';
import { BatchMtimes } from './batch-mtimes';
import { ownAndChmod, ownerAndMode } from './apply-metadata';
import { plainLength } from '../repo/chunk-index';
import { batchView, type AssetLimitsOf } from '../limits/host-limits';
import type { BlobStore } from '../store/blob-store';
import { interleaveRanges, planBatchRanges, type PackRange } from './fetch-ranges';
import type { ChunkPool } from '../chunker/pool';
import { openRange, type OpenRangeResult, type OpenRangeTask, type RangeWrite } from './open-range';
import { RestoreBatchParser, type RestoreItem } from './restore-plan';
import { PART_WRITE_FLAGS } from './write-file-parts';

export interface RestoreProgress {
  /**
   * The resume ledger: a base64 bitmap of the batch's files that are completely written and
   * finished. A retried attempt (on any worker, with whatever index it loads) rewrites every
   * other file whole, so each restored file got all of its bytes, checked, in one attempt.
   */
  completed: string;
  filesDone: number;
  files: number;
  bytesDone: number;
  bytesTotal: number;
  /** metadata the batch could not reproduce (its exact mtimes), on the result only */
  warnings?: string[];
}

export interface RunRestoreBatchOptions {
  restoreId: string;
  batch: number;
  /** `completed` from an earlier attempt's last heartbeat */
  resumeCompleted?: string;
  /**
   * also re-read each file after writing it and check it against the chunk ids (default false:
   * every blob is already checked against its id right before its bytes are written)
   */
  verifyWritten?: boolean;
  /** the buckets of the snapshot's asset: its bytes pass them as well as the repository's */
  assetLimits?: AssetLimitsOf;
  onProgress?: (p: RestoreProgress) => void;
  checkpoint?: () => void;
  /** the engine's threads: each fetched range is opened and checked there, not on this thread */
  pool?: ChunkPool;
  /**
   * the python3 session setting exact mtimes, shared by the batches and the finish step of one
   * process (restoreDirect), which closes it; absent: the batch runs one of its own
   */
  exactMtimes?: ExactMtimes;
}

const FILE_CONCURRENCY = 8;
/** ranged reads of at most this size: RANGE_SLOTS of them are in memory at once */
const RANGE_BYTES = 8 * 1024 * 1024;
/**
 * Ranges fetched and written at once by every batch of this process together: a worker runs
 * several batches at a time, and each one's own limit alone let memory grow with their number.
 * A range needs nothing else once it holds its place, so the shared limit cannot deadlock. One
 * batch alone may take every slot: the GETs of the next ranges go on while the threads check
 * and write earlier ones (a batch limit of 4 below the 6 slots left GETs idle).
 */
export const RANGE_SLOTS = 6;
const rangeSlots = new Semaphore(RANGE_SLOTS);

async function fetchRange(store: BlobStore, r: PackRange, items: RestoreItem[], todo: number[]): Promise<Buffer> {
  const who = `file "${items[todo[r.blobs[0].targets[0].file]].path}"`;
  try {
    const data = await store.get(packKey(r.pack), { start: r.start, length: r.length });
    if (data.length !== r.length) throw new IntegrityError(`${who}: pack ${r.pack.slice(0, 12)} is truncated`);
    return data;
  } catch (e) {
    if (e instanceof NotFoundError) throw new IntegrityError(`${who}: pack ${r.pack.slice(0, 12)} is missing from the repository`);
    throw e;
  }
}

let openTasks = 0;
const ownCopy = (b: Buffer) => {
  const c = Buffer.allocUnsafeSlow(b.length);
  b.copy(c);
  return c;
};

/**
 * Every blob of a fetched range opened and checked against its id, then written where it goes
 * (`writes`), in a pool thread when there is a pool; a blob that fails throws IntegrityError
 * naming the file it was for and its chunk.
 */
async function openAndWrite(
  repo: Repository,
  pool: ChunkPool | undefined,
  r: PackRange,
  data: Buffer,
  fileOf: (b: PackRange['blobs'][number]) => string,
  writes: RangeWrite[],
): Promise<void> {
  const task: OpenRangeTask = {
    taskId: ++openTasks,
    pack: r.pack,
    blobs: r.blobs.map((b) => ({ id: b.id, at: b.offset - r.start, storedLength: b.storedLength, plainLength: b.plainLength, rawLength: b.rawLength })),
    writes,
  };
  // the range is transferred to the thread and freed there whole: a view of a shared ArrayBuffer
  // (a small read from Node's pool) goes as a copy of its own
  const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : ownCopy(data);
  const res: OpenRangeResult = pool ? await pool.openRange(repo.codec, task, owned.buffer as ArrayBuffer) : openRange(repo.codec, task, owned);
  if ('failed' in res) {
    const msg = `${fileOf(r.blobs[res.failed])}: ${res.message}`;
    throw res.integrity ? new IntegrityError(msg) : new Error(msg);
  }
  if ('writeFailed' in res) throw Object.assign(new Error(res.message), { code: res.code });
}

async function openForWrite(abs: FsPath): Promise<fs.promises.FileHandle> {
  try {
    return await fs.promises.open(abs, PART_WRITE_FLAGS, 0o600);
  } catch (e) {
    // an interrupted earlier attempt may already have made it read-only
    if ((e as NodeJS.ErrnoException).code !== 'EACCES') throw e;
    await fs.promises.chmod(abs, 0o600);
    return fs.promises.open(abs, PART_WRITE_FLAGS, 0o600);
  }
}

const mtimeOf = (item: RestoreItem) => toSeconds(item.mtimeNs);

async function verifyFile(repo: Repository, abs: FsPath, item: RestoreItem): Promise<void> {
  if (!item.chunks.length) return;
  const rh = await fs.promises.open(abs, 'r');
  try {
    const index = await repo.loadIndex();
    let at = 0;
    for (const id of item.chunks) {
      const loc = index.get(id);
      const len = loc ? plainLength(loc, repo.codec.storedLength(0)) : 0;
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await rh.read(buf, 0, len, at);
      if (bytesRead !== len || repo.codec.id(buf) !== id) throw new IntegrityError(`file "${item.path}": bytes on disk differ from the snapshot after writing`);
      at += len;
    }
  } finally {
    await rh.close();
  }
}

/** Exact size, then owner, mode and mtime, all through one handle; optionally re-read and checked. */
async function finishFile(repo: Repository, abs: FsPath, item: RestoreItem, verify: boolean): Promise<void> {
  const fh = await openForWrite(abs);
  try {
    await fh.truncate(item.size);
    await ownAndChmod(fh, item);
    const mt = mtimeOf(item);
    await fh.utimes(mt, mt);
  } finally {
    await fh.close();
  }
  if (verify) await verifyFile(repo, abs, item);
}

/**
 * Write one batch of files into the staging folder. Blobs are fetched pack by pack in merged
 * ranged reads, each checked against its id before any byte is written, then every file is
 * trimmed to size and given its mode and mtime, and its exact mtime while the next ranges are
 * still coming (batch-mtimes.ts). The batch returns once every one of its files has its exact
 * mtime, those finished by an earlier attempt too. Resumable by file (see RestoreProgress.completed).
 */
export async function runRestoreBatch(repo: Repository, o: RunRestoreBatchOptions): Promise<RestoreProgress> {
  const batch = await readSignedJson(repo, restoreBatchKey(o.restoreId, o.batch), RestoreBatchParser);
  const index = await repo.loadIndex(true);
  const items = batch.items;
  const completed = decodeLedger(o.resumeCompleted, items.length);
  const todo = items.map((_, i) => i).filter((i) => !completed[i]);
  const ranges = interleaveRanges(
    planBatchRanges(
      todo.map((i) => items[i]),
      index,
      repo.codec.storedLength(0),
      RANGE_BYTES,
    ),
  );
  const bytesTotal = items.reduce((s, i) => s + i.size, 0);
  const verify = o.verifyWritten ?? false;
  const p: RestoreProgress = { completed: '', filesDone: items.length - todo.length, files: items.length, bytesDone: 0, bytesTotal };
  const report = () => {
    if (!o.onProgress) return;
    p.completed = encodeLedger(completed);
    o.onProgress({ ...p });
  };
  const abs = (i: number) => joinFs(batch.staging, items[i]);
  const from = batchView(repo.store, batch.asset, o.assetLimits).store;

  // per file: writes still to come in this attempt
  const pending = new Array<number>(items.length).fill(0);
  for (const r of ranges) for (const b of r.blobs) for (const t of b.targets) pending[todo[t.file]]++;
  const mtimes = new BatchMtimes(o.exactMtimes);
  // the files an earlier attempt finished: it may have stopped before python3 set theirs
  items.forEach((item, i) => {
    if (completed[i]) mtimes.done({ abs: abs(i), mtimeNs: item.mtimeNs });
  });
  const fileDone = (f: number) => {
    completed[f] = true;
    mtimes.done({ abs: abs(f), mtimeNs: items[f].mtimeNs });
    p.filesDone++;
    if (p.filesDone % 200 === 0) report();
  };

  try {
    await mapLimit(ranges, RANGE_SLOTS, (r) =>
      rangeSlots.run(async () => {
        o.checkpoint?.();
        // a file that is one blob of this range (most small files) is written whole where the blob is
        // checked; the blobs of bigger files are written there too, at their offsets
        const writes: RangeWrite[] = [];
        const fileOfWrite: number[] = [];
        for (let blob = 0; blob < r.blobs.length; blob++) {
          const b = r.blobs[blob];
          for (const t of b.targets) {
            const f = todo[t.file];
            const item = items[f];
            fileOfWrite.push(f);
            if (pending[f] === 1 && t.fileOffset === 0 && b.plainLength === item.size) {
              writes.push({ blob, file: { path: abs(f), ...ownerAndMode(item), mtime: mtimeOf(item) } });
            } else writes.push({ blob, part: { path: abs(f), offset: t.fileOffset } });
          }
        }
        const data = await fetchRange(from, r, items, todo);
        await openAndWrite(repo, o.pool, r, data, (b) => `file "${items[todo[b.targets[0].file]].path}"`, writes);
        for (let w = 0; w < writes.length; w++) {
          const f = fileOfWrite[w];
          if (--pending[f] === 0) {
            // a whole file has its metadata already; a file of parts gets its size, owner, mode and mtime now
            if ('part' in writes[w]) await finishFile(repo, abs(f), items[f], verify);
            else if (verify) await verifyFile(repo, abs(f), items[f]);
            fileDone(f);
          }
          p.bytesDone += r.blobs[writes[w].blob].plainLength;
        }
        mtimes.send();
        report();
      }),
    );
    // empty files: no bytes to fetch
    await mapLimit(
      todo.filter((i) => !completed[i]),
      FILE_CONCURRENCY,
      async (i) => {
        o.checkpoint?.();
        if (items[i].chunks.length) throw new IntegrityError(`file "${items[i].path}": not every chunk was written`);
        await finishFile(repo, abs(i), items[i], verify);
        fileDone(i);
      },
    );
  } catch (e) {
    await mtimes.abandon();
    throw e;
  }
  const warning = await mtimes.settle();
  report();
  p.completed = encodeLedger(completed);
  return warning ? { ...p, warnings: [warning] } : p;
}

/** The resume ledger of a batch (RestoreProgress.completed): one bit per file. */
export function decodeLedger(b64: string | undefined, n: number): boolean[] {
  const out = new Array<boolean>(n).fill(false);
  if (!b64) return out;
  const bits = Buffer.from(b64, 'base64');
  if (bits.length !== Math.ceil(n / 8)) return out;
  for (let i = 0; i < n; i++) out[i] = (bits[i >> 3] & (1 << (i & 7))) !== 0;
  return out;
}

export function encodeLedger(done: boolean[]): string {
  const bits = Buffer.alloc(Math.ceil(done.length / 8));
  for (let i = 0; i < done.length; i++) if (done[i]) bits[i >> 3] |= 1 << (i & 7);
  return bits.toString('base64');
}
