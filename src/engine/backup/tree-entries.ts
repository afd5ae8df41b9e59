import type { TreeEntry } from '../repo/tree';
import type { BackupPlan } from './work-plan';

type PlanFile = Extract<BackupPlan['entries'][number], { type: 'file' }>;

/**
 * One key order for every file entry: an unchanged tree then encodes to identical,
 * deduplicated blobs. Optional fields appear only when set, so trees of sources without
 * owners, odd names, links or xattrs keep the shape older versions wrote.
 */
function fileEntry(e: PlanFile, chunks: string[]): TreeEntry {
  return {
    type: 'file',
    path: e.path,
    ...(e.rawPath !== undefined ? { rawPath: e.rawPath } : {}),
    mode: e.mode,
    ...(e.uid !== undefined ? { uid: e.uid } : {}),
    ...(e.gid !== undefined ? { gid: e.gid } : {}),
    mtimeNs: e.mtimeNs,
    size: e.size,
    ...(e.ino !== undefined ? { ino: e.ino } : {}),
    ...(e.ctimeNs !== undefined ? { ctimeNs: e.ctimeNs } : {}),
    ...(e.etag !== undefined ? { etag: e.etag } : {}),
    ...(e.linkGroup !== undefined ? { linkGroup: e.linkGroup } : {}),
    ...(e.xattrs !== undefined ? { xattrs: e.xattrs } : {}),
    chunks,
  };
}

/**
 * The snapshot's entries from the plan: unchanged files keep their reused chunks, pending ones
 * get theirs from `chunksOf(entryIndex)`, later hard links share their leader's.
 */
export function assembleEntries(plan: BackupPlan, chunksOf: (entry: number) => string[]): TreeEntry[] {
  const out: TreeEntry[] = [];
  plan.entries.forEach((e, i) => {
    if (e.type !== 'file') return out.push(e);
    if (!('pending' in e)) return out.push(fileEntry(e, e.chunks));
    if (e.leader !== undefined) {
      const lead = out[e.leader];
      return out.push(fileEntry(e, lead?.type === 'file' ? lead.chunks : []));
    }
    return out.push(fileEntry(e, chunksOf(i)));
  });
  return out;
}
