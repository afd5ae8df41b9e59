import type { FileEntry, TreeEntry } from '../repo/tree';
import type { PlanEntry } from './work-plan';

type PlanFile = Extract<PlanEntry, { type: 'file' }>;

/**
 * One key order for every file entry: an unchanged tree then encodes to identical,
 * deduplicated blobs. Optional fields appear only when set, so trees of sources without
 * owners, odd names, links or xattrs keep the shape older versions wrote. Built by assignment,
 * not spreads: it runs for every file at plan and at commit.
 */
function fileEntry(e: PlanFile, chunks: string[]): TreeEntry {
  const out = { type: 'file', path: e.path } as FileEntry;
  if (e.rawPath !== undefined) out.rawPath = e.rawPath;
  out.mode = e.mode;
  if (e.uid !== undefined) out.uid = e.uid;
  if (e.gid !== undefined) out.gid = e.gid;
  out.mtimeNs = e.mtimeNs;
  out.size = e.size;
  if (e.ino !== undefined) out.ino = e.ino;
  if (e.ctimeNs !== undefined) out.ctimeNs = e.ctimeNs;
  if (e.etag !== undefined) out.etag = e.etag;
  if (e.linkGroup !== undefined) out.linkGroup = e.linkGroup;
  if (e.xattrs !== undefined) out.xattrs = e.xattrs;
  out.chunks = chunks;
  return out;
}

/** A file whose chunks a batch produced (pending and not a later hard link): the one kind of entry that needs a batch's result. */
export const isRead = (e: PlanEntry): boolean => e.type === 'file' && 'pending' in e && e.leader === undefined;

/**
 * The snapshot's entries from the plan's, one at a time in plan order: unchanged files keep their
 * reused chunks, files read (isRead) get `chunks` from their batches, later hard links share
 * their leader's (the only entries it remembers: hard-link leaders, by entry index).
 */
export class EntryAssembler {
  private readonly leaders = new Map<number, string[]>();

  next(e: PlanEntry, i: number, chunks?: string[]): TreeEntry {
    if (e.type !== 'file') return e;
    if (!('pending' in e)) return this.remember(e, i, fileEntry(e, e.chunks));
    if (e.leader !== undefined) return fileEntry(e, this.leaders.get(e.leader) ?? []);
    if (!chunks) throw new Error(`entry ${i} (${e.path}) was read by a batch: its chunks are needed`);
    return this.remember(e, i, fileEntry(e, chunks));
  }

  private remember(e: PlanFile, i: number, out: TreeEntry): TreeEntry {
    if (e.linkGroup !== undefined && out.type === 'file') this.leaders.set(i, out.chunks);
    return out;
  }
}

/** Every entry of a plan's list at once (tests, small lists): EntryAssembler over all of them. */
export function assembleEntries(plan: { entries: PlanEntry[] }, chunksOf: (entry: number) => string[]): TreeEntry[] {
  const a = new EntryAssembler();
  return plan.entries.map((e, i) => a.next(e, i, isRead(e) ? chunksOf(i) : undefined));
}
