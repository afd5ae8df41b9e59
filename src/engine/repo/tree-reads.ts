import { IntegrityError } from '../../common/errors';
import type { BlobStore } from '../store/blob-store';
import type { BlobLocation } from './location-table';
import { packKey } from './layout';

/** One ranged read of a pack holding consecutive blobs of a snapshot's tree, in tree order. */
export interface TreeRead {
  pack: string;
  start: number;
  length: number;
  blobs: { id: string; loc: BlobLocation }[];
}

/** bytes one tree read holds at most (a blob larger than this is read alone) */
export const TREE_READ_BYTES = 2 * 1024 * 1024;
/** reads of one walk in flight at once: the tree's round trips overlap instead of queueing one by one */
export const TREE_READS_AHEAD = 4;
const MAX_GAP = 64 * 1024;

/**
 * The reads a walk of a tree needs: a backup writes a snapshot's new tree blobs into packs in
 * tree order, so runs of them sit next to each other and share one ranged read (a thousand
 * blobs cost a handful of requests, not a thousand sequential ones). A blob that does not follow
 * its predecessor in the same pack (one kept from a parent snapshot) starts a new read; the tree
 * order is kept either way.
 */
export function planTreeReads(blobs: { id: string; loc: BlobLocation }[], maxBytes = TREE_READ_BYTES, maxGap = MAX_GAP): TreeRead[] {
  const reads: TreeRead[] = [];
  let cur: TreeRead | undefined;
  for (const b of blobs) {
    const end = b.loc.offset + b.loc.length;
    const follows = cur && cur.pack === b.loc.pack && b.loc.offset >= cur.start + cur.length && b.loc.offset - (cur.start + cur.length) <= maxGap;
    if (cur && follows && end - cur.start <= maxBytes) {
      cur.length = end - cur.start;
      cur.blobs.push(b);
    } else {
      cur = { pack: b.loc.pack, start: b.loc.offset, length: b.loc.length, blobs: [b] };
      reads.push(cur);
    }
  }
  return reads;
}

/**
 * The stored bytes of each blob of `reads`, in order, with up to `ahead` reads in flight. A read
 * started ahead whose walk stops early (the caller leaves the loop) is still awaited by no one: its
 * failure is caught here so it cannot surface as an unhandled rejection.
 */
export async function* readTreeBlobs(
  store: BlobStore,
  reads: TreeRead[],
  what: string,
  ahead = TREE_READS_AHEAD,
): AsyncGenerator<{ id: string; loc: BlobLocation; stored: Buffer }> {
  const inFlight: Promise<Buffer>[] = [];
  let next = 0;
  const start = () => {
    const r = reads[next++];
    const p = store.get(packKey(r.pack), { start: r.start, length: r.length });
    p.catch(() => undefined);
    inFlight.push(p);
  };
  for (const r of reads) {
    while (next < reads.length && inFlight.length < ahead) start();
    const data = await (inFlight.shift() as Promise<Buffer>);
    if (data.length !== r.length) throw new IntegrityError(`${what}: pack ${r.pack.slice(0, 12)} is truncated`);
    for (const b of r.blobs) yield { ...b, stored: data.subarray(b.loc.offset - r.start, b.loc.offset - r.start + b.loc.length) };
  }
}
