import fs from 'node:fs';
import path from 'node:path';
import { IntegrityError, NotFoundError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import { readJson } from '../backup/work-plan';
import { packKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { planRanges, type PackRange } from './fetch-ranges';
import { restoreBatchKey, RestoreBatchSchema, type RestoreItem } from './restore-plan';

export interface RestoreProgress {
  filesDone: number;
  files: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface RunRestoreBatchOptions {
  restoreId: string;
  batch: number;
  /** files of this batch already written and verified by an earlier attempt */
  resumeFrom?: number;
  /** re-read each written file and check it against the chunk hashes (default true) */
  verifyWritten?: boolean;
  onProgress?: (p: RestoreProgress) => void;
  checkpoint?: () => void;
}

const FILE_CONCURRENCY = 4;
const RANGE_CONCURRENCY = 3;

/** Fetch one merged range and return each chunk's checked plaintext. */
async function fetchRange(repo: Repository, r: PackRange, filePath: string): Promise<Buffer[]> {
  let data: Buffer;
  try {
    data = await repo.store.get(packKey(r.pack), { start: r.start, length: r.length });
  } catch (e) {
    if (e instanceof NotFoundError) throw new IntegrityError(`file "${filePath}": pack ${r.pack.slice(0, 12)} is missing from the repository`);
    throw e;
  }
  if (data.length !== r.length) throw new IntegrityError(`file "${filePath}": pack ${r.pack.slice(0, 12)} is truncated`);
  return r.chunks.map((c) => repo.checkBlob(c.id, data.subarray(c.loc.offset - r.start, c.loc.offset - r.start + c.loc.length), `file "${filePath}": chunk ${c.id.slice(0, 12)} in pack ${r.pack.slice(0, 12)}`));
}

async function verifyFile(repo: Repository, abs: string, item: RestoreItem, ranges: PackRange[]): Promise<void> {
  const fh = await fs.promises.open(abs, 'r');
  try {
    const st = await fh.stat();
    if (st.size !== item.size) throw new IntegrityError(`file "${item.path}": wrote ${st.size} bytes, expected ${item.size}`);
    for (const r of ranges) {
      for (const c of r.chunks) {
        const buf = Buffer.allocUnsafe(c.plainLength);
        const { bytesRead } = await fh.read(buf, 0, c.plainLength, c.fileOffset);
        if (bytesRead !== c.plainLength || repo.codec.id(buf) !== c.id) {
          throw new IntegrityError(`file "${item.path}": bytes on disk differ from the snapshot after writing`);
        }
      }
    }
  } finally {
    await fh.close();
  }
}

/** Write one batch of files into the staging folder, each chunk checked before it is written. */
export async function runRestoreBatch(repo: Repository, o: RunRestoreBatchOptions): Promise<RestoreProgress> {
  const batch = await readJson(repo.store, restoreBatchKey(o.restoreId, o.batch), RestoreBatchSchema);
  const index = await repo.loadIndex(true);
  const items = batch.items;
  const bytesTotal = items.reduce((s, i) => s + i.size, 0);
  const start = Math.min(o.resumeFrom ?? 0, items.length);
  const done = new Array<boolean>(items.length).fill(false);
  for (let i = 0; i < start; i++) done[i] = true;
  let filesDone = start;
  let bytesDone = items.slice(0, start).reduce((s, i) => s + i.size, 0);
  const report = () => {
    // the cursor only advances over a contiguous prefix of finished files
    while (filesDone < items.length && done[filesDone]) filesDone++;
    o.onProgress?.({ filesDone, files: items.length, bytesDone, bytesTotal });
  };

  await mapLimit(items.slice(start), FILE_CONCURRENCY, async (item, k) => {
    o.checkpoint?.();
    const abs = path.join(batch.staging, item.path);
    const ranges = planRanges(item.path, item.chunks, index, repo.codec.storedLength(0));
    await fs.promises.mkdir(path.dirname(abs), { recursive: true });
    // an earlier attempt may have left the file read-only
    await fs.promises.rm(abs, { force: true });
    const fh = await fs.promises.open(abs, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
    try {
      await mapLimit(ranges, RANGE_CONCURRENCY, async (r) => {
        const parts = await fetchRange(repo, r, item.path);
        for (let i = 0; i < parts.length; i++) {
          const data = parts[i];
          const at = r.chunks[i].fileOffset;
          let off = 0;
          while (off < data.length) off += (await fh.write(data, off, data.length - off, at + off)).bytesWritten;
          bytesDone += data.length;
        }
      });
    } finally {
      await fh.close();
    }
    if (o.verifyWritten !== false) await verifyFile(repo, abs, item, ranges);
    await fs.promises.chmod(abs, item.mode);
    const mt = Number(BigInt(item.mtimeNs) / 1000n) / 1e6;
    await fs.promises.utimes(abs, mt, mt);
    done[start + k] = true;
    report();
  });
  report();
  return { filesDone, files: items.length, bytesDone, bytesTotal };
}
