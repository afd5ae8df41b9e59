import fs from 'node:fs';
import path from 'node:path';
import { IntegrityError, NotFoundError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import { readJson } from '../backup/work-plan';
import { packKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { planBatchRanges, type PackRange } from './fetch-ranges';
import { restoreBatchKey, RestoreBatchSchema, type RestoreItem } from './restore-plan';

export interface RestoreProgress {
  /** ranged reads of this batch finished (a contiguous prefix): the resume cursor */
  rangesDone: number;
  ranges: number;
  filesDone: number;
  files: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface RunRestoreBatchOptions {
  restoreId: string;
  batch: number;
  /** ranged reads already written by an earlier attempt (heartbeat cursor) */
  resumeFrom?: number;
  /** re-read each written file and check it against the chunk ids (default true) */
  verifyWritten?: boolean;
  onProgress?: (p: RestoreProgress) => void;
  checkpoint?: () => void;
}

const RANGE_CONCURRENCY = 4;
const FILE_CONCURRENCY = 8;
const WRITE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW;

async function fetchRange(repo: Repository, r: PackRange, items: RestoreItem[]): Promise<Buffer> {
  const who = `file "${items[r.blobs[0].targets[0].file].path}"`;
  try {
    const data = await repo.store.get(packKey(r.pack), { start: r.start, length: r.length });
    if (data.length !== r.length) throw new IntegrityError(`${who}: pack ${r.pack.slice(0, 12)} is truncated`);
    return data;
  } catch (e) {
    if (e instanceof NotFoundError) throw new IntegrityError(`${who}: pack ${r.pack.slice(0, 12)} is missing from the repository`);
    throw e;
  }
}

async function writeAt(abs: string, data: Buffer, at: number): Promise<void> {
  const fh = await fs.promises.open(abs, WRITE_FLAGS, 0o600);
  try {
    let off = 0;
    while (off < data.length) off += (await fh.write(data, off, data.length - off, at + off)).bytesWritten;
  } finally {
    await fh.close();
  }
}

/** Exact size, bytes checked against the chunk ids, then mode and mtime. */
async function finishFile(repo: Repository, abs: string, item: RestoreItem, verify: boolean): Promise<void> {
  // an interrupted earlier attempt may already have made it read-only
  if (!(item.mode & 0o200)) await fs.promises.chmod(abs, 0o600).catch(() => undefined);
  const fh = await fs.promises.open(abs, WRITE_FLAGS, 0o600);
  try {
    await fh.truncate(item.size);
  } finally {
    await fh.close();
  }
  if (verify && item.chunks.length) {
    const rh = await fs.promises.open(abs, 'r');
    try {
      const index = await repo.loadIndex();
      let at = 0;
      for (const id of item.chunks) {
        const loc = index.get(id);
        const len = (loc?.length ?? 0) - repo.codec.storedLength(0);
        const buf = Buffer.allocUnsafe(len);
        const { bytesRead } = await rh.read(buf, 0, len, at);
        if (bytesRead !== len || repo.codec.id(buf) !== id) throw new IntegrityError(`file "${item.path}": bytes on disk differ from the snapshot after writing`);
        at += len;
      }
    } finally {
      await rh.close();
    }
  }
  await fs.promises.chmod(abs, item.mode);
  const mt = Number(BigInt(item.mtimeNs) / 1000n) / 1e6;
  await fs.promises.utimes(abs, mt, mt);
}

/**
 * Write one batch of files into the staging folder. Blobs are fetched pack by pack in merged
 * ranged reads, each checked against its id before any byte is written, then every file is
 * trimmed to size, re-read and checked, and given its mode and mtime. Resumable by range.
 */
export async function runRestoreBatch(repo: Repository, o: RunRestoreBatchOptions): Promise<RestoreProgress> {
  const batch = await readJson(repo.store, restoreBatchKey(o.restoreId, o.batch), RestoreBatchSchema);
  const index = await repo.loadIndex(true);
  const items = batch.items;
  const ranges = planBatchRanges(items, index, repo.codec.storedLength(0));
  const bytesTotal = items.reduce((s, i) => s + i.size, 0);
  const start = Math.min(o.resumeFrom ?? 0, ranges.length);
  const done = new Array<boolean>(ranges.length).fill(false).fill(true, 0, start);
  const p: RestoreProgress = { rangesDone: start, ranges: ranges.length, filesDone: 0, files: items.length, bytesDone: 0, bytesTotal };
  const report = () => {
    while (p.rangesDone < ranges.length && done[p.rangesDone]) p.rangesDone++;
    o.onProgress?.({ ...p });
  };
  const abs = (i: number) => path.join(batch.staging, items[i].path);

  await mapLimit(ranges.slice(start), RANGE_CONCURRENCY, async (r, k) => {
    o.checkpoint?.();
    const data = await fetchRange(repo, r, items);
    for (const b of r.blobs) {
      const stored = data.subarray(b.offset - r.start, b.offset - r.start + b.storedLength);
      const plain = repo.checkBlob(b.id, stored, `file "${items[b.targets[0].file].path}": chunk ${b.id.slice(0, 12)} in pack ${r.pack.slice(0, 12)}`);
      for (const t of b.targets) {
        await writeAt(abs(t.file), plain, t.fileOffset);
        p.bytesDone += plain.length;
      }
    }
    done[start + k] = true;
    report();
  });
  await mapLimit(items, FILE_CONCURRENCY, async (item, i) => {
    o.checkpoint?.();
    await finishFile(repo, abs(i), item, o.verifyWritten !== false);
    p.filesDone++;
    if (p.filesDone % 200 === 0) report();
  });
  report();
  return p;
}
