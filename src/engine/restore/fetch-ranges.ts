import { IntegrityError } from '../../common/errors';
import { plainLength, type ChunkIndex } from '../repo/chunk-index';

export interface BlobTarget {
  /** index of the file in the batch */
  file: number;
  fileOffset: number;
}

export interface RangeBlob {
  id: string;
  /** offset of the stored blob inside the pack */
  offset: number;
  storedLength: number;
  plainLength: number;
  /** set when the blob is stored compressed (then equal to plainLength) */
  rawLength?: number;
  /** every place in the batch's files that holds this blob's bytes */
  targets: BlobTarget[];
}

export interface PackRange {
  pack: string;
  start: number;
  length: number;
  blobs: RangeBlob[];
}

export interface RangeFile {
  path: string;
  size: number;
  chunks: string[];
}

/**
 * Read plan of a restore batch: every distinct blob the batch's files need, grouped by pack in
 * pack order and merged into ranged reads (neighbours and small gaps join one read), so a
 * thousand small files packed together cost a handful of requests, not a thousand. `maxRange`
 * caps what a range holds in memory once opened: its bytes, plus its plaintexts when some blob
 * is compressed (they then need a buffer of their own, see open-range.ts).
 */
export function planBatchRanges(files: RangeFile[], index: ChunkIndex, sealOverhead: number, maxRange = 32 * 1024 * 1024, maxGap = 256 * 1024): PackRange[] {
  const blobs = new Map<string, RangeBlob & { pack: string }>();
  files.forEach((f, fi) => {
    let fileOffset = 0;
    for (const id of f.chunks) {
      const loc = index.get(id);
      if (!loc) throw new IntegrityError(`file "${f.path}": chunk ${id.slice(0, 12)} is not in the repository index (missing data)`);
      let b = blobs.get(id);
      if (!b) {
        b = {
          id,
          pack: loc.pack,
          offset: loc.offset,
          storedLength: loc.length,
          plainLength: plainLength(loc, sealOverhead),
          rawLength: loc.rawLength,
          targets: [],
        };
        blobs.set(id, b);
      }
      b.targets.push({ file: fi, fileOffset });
      fileOffset += b.plainLength;
    }
    // a chunk list that does not cover the file would leave a zero-filled tail after truncation
    if (fileOffset !== f.size) throw new IntegrityError(`file "${f.path}": its chunks hold ${fileOffset} bytes, the snapshot says ${f.size}`);
  });
  const byPack = new Map<string, (RangeBlob & { pack: string })[]>();
  for (const b of blobs.values()) {
    const l = byPack.get(b.pack) ?? [];
    l.push(b);
    byPack.set(b.pack, l);
  }
  const ranges: PackRange[] = [];
  for (const [pack, list] of [...byPack.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    list.sort((a, b) => a.offset - b.offset);
    let cur: PackRange | undefined;
    // of the current range: its blobs' plaintext bytes, and whether one is compressed
    let plain = 0;
    let compressed = false;
    for (const b of list) {
      const end = b.offset + b.storedLength;
      const held = end - (cur?.start ?? 0) + (compressed || b.rawLength !== undefined ? plain + b.plainLength : 0);
      if (cur && b.offset - (cur.start + cur.length) <= maxGap && held <= maxRange) {
        cur.length = end - cur.start;
      } else {
        cur = { pack, start: b.offset, length: b.storedLength, blobs: [] };
        ranges.push(cur);
        plain = 0;
        compressed = false;
      }
      plain += b.plainLength;
      compressed ||= b.rawLength !== undefined;
      cur.blobs.push({ id: b.id, offset: b.offset, storedLength: b.storedLength, plainLength: b.plainLength, rawLength: b.rawLength, targets: b.targets });
    }
  }
  return ranges;
}

/** a range with at least this many blobs is mostly small files: its cost is creating them, not moving bytes */
const DENSE_BLOBS = 32;

/**
 * The ranges of a batch in the order to fetch them: ranges of many small blobs (files to create,
 * whose cost is the filesystem's) spread evenly among ranges of few big ones (whose cost is the
 * transfer and the decryption), so both kinds of work overlap instead of the one waiting for the
 * other (in pack order, a backup's small files sit in packs of their own, back to back).
 */
export function interleaveRanges(ranges: PackRange[]): PackRange[] {
  const dense = ranges.filter((r) => r.blobs.length >= DENSE_BLOBS);
  const sparse = ranges.filter((r) => r.blobs.length < DENSE_BLOBS);
  const out: PackRange[] = [];
  let d = 0;
  let s = 0;
  while (d < dense.length || s < sparse.length) {
    // take from the list that is further behind its share of the order
    if (s >= sparse.length || (d < dense.length && d / dense.length <= s / sparse.length)) out.push(dense[d++]);
    else out.push(sparse[s++]);
  }
  return out;
}
