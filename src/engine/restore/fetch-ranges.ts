import { IntegrityError } from '../../common/errors';
import type { BlobLocation, ChunkIndex } from '../repo/chunk-index';

export interface ChunkSpan {
  id: string;
  loc: BlobLocation;
  /** offset of the chunk within the file */
  fileOffset: number;
  /** plaintext length */
  plainLength: number;
}

export interface PackRange {
  pack: string;
  start: number;
  length: number;
  chunks: ChunkSpan[];
}

/** Locate a file's chunks and merge neighbours stored back to back in one pack into one ranged read. */
export function planRanges(path: string, chunkIds: string[], index: ChunkIndex, sealOverhead: number, maxRange = 32 * 1024 * 1024): PackRange[] {
  const ranges: PackRange[] = [];
  let fileOffset = 0;
  for (const id of chunkIds) {
    const loc = index.get(id);
    if (!loc) throw new IntegrityError(`file "${path}": chunk ${id.slice(0, 12)} is not in the repository index (missing data)`);
    const span = { id, loc, fileOffset, plainLength: loc.length - sealOverhead };
    fileOffset += span.plainLength;
    const last = ranges[ranges.length - 1];
    if (last && last.pack === loc.pack && last.start + last.length === loc.offset && last.length + loc.length <= maxRange) {
      last.length += loc.length;
      last.chunks.push(span);
    } else {
      ranges.push({ pack: loc.pack, start: loc.offset, length: loc.length, chunks: [span] });
    }
  }
  return ranges;
}
