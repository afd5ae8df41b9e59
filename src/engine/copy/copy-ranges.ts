import type { BlobLocation } from '../repo/chunk-index';

export interface CopyBlob {
  id: string;
  loc: BlobLocation;
}

/** One ranged read of a source pack and the stored blobs it holds. */
export interface CopyRange {
  pack: string;
  start: number;
  length: number;
  blobs: CopyBlob[];
}

/**
 * Blobs grouped by pack in pack order and merged into ranged reads (neighbours and gaps of at
 * most `maxGap` join one read of at most `maxRange`): a copy of a thousand small files packed
 * together costs a handful of GETs, not a thousand.
 */
export function copyRanges(blobs: CopyBlob[], maxRange = 16 * 1024 * 1024, maxGap = 256 * 1024): CopyRange[] {
  const byPack = new Map<string, CopyBlob[]>();
  for (const b of blobs) {
    const l = byPack.get(b.loc.pack);
    if (l) l.push(b);
    else byPack.set(b.loc.pack, [b]);
  }
  const out: CopyRange[] = [];
  for (const [pack, list] of [...byPack].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    list.sort((a, b) => a.loc.offset - b.loc.offset);
    let cur: CopyRange | undefined;
    for (const b of list) {
      const end = b.loc.offset + b.loc.length;
      if (cur && b.loc.offset - (cur.start + cur.length) <= maxGap && end - cur.start <= maxRange) cur.length = Math.max(cur.length, end - cur.start);
      else out.push((cur = { pack, start: b.loc.offset, length: b.loc.length, blobs: [] }));
      cur.blobs.push(b);
    }
  }
  return out;
}
