import { restoreBatchKey } from '../repo/layout';
import type { FileEntry } from '../repo/tree';
import { readSignedJson } from '../repo/signed-doc';
import type { Repository } from '../repo/repository';
import { FinishBatchSchema, RestoreBatchSchema, type FinishItem, type RestoreItem, type RestorePlan } from './restore-plan';

const ref = (e: { path: string; rawPath?: string }) => (e.rawPath !== undefined ? { path: e.path, rawPath: e.rawPath } : { path: e.path });

/** What a restore batch needs of a file entry. */
export function restoreItem(f: FileEntry): RestoreItem {
  return {
    ...ref(f),
    size: f.size,
    mode: f.mode,
    ...(f.uid !== undefined && f.gid !== undefined ? { uid: f.uid, gid: f.gid } : {}),
    mtimeNs: f.mtimeNs,
    ...(f.xattrs ? { xattrs: f.xattrs } : {}),
    chunks: f.chunks,
  };
}

/**
 * The first restored member of each hard-link group is written; the others become links to
 * it. With a paths filter the leader is the first member that was kept.
 */
export function splitHardLinks(files: FileEntry[]): { writes: FileEntry[]; hardlinks: NonNullable<RestorePlan['hardlinks']> } {
  const leaders = new Map<number, FileEntry>();
  const writes: FileEntry[] = [];
  const hardlinks: NonNullable<RestorePlan['hardlinks']> = [];
  for (const f of files) {
    const lead = f.linkGroup !== undefined ? leaders.get(f.linkGroup) : undefined;
    if (lead) {
      hardlinks.push({ ...ref(f), leader: ref(lead) });
      continue;
    }
    if (f.linkGroup !== undefined) leaders.set(f.linkGroup, f);
    writes.push(f);
  }
  return { writes, hardlinks };
}

/** The file items of one restore batch (the finish step sets their xattrs and exact mtimes). */
export async function loadRestoreItems(repo: Repository, restoreId: string, batch: number): Promise<RestoreItem[]> {
  return (await readSignedJson(repo, restoreBatchKey(restoreId, batch), RestoreBatchSchema)).items;
}

/** The paths, mtimes and xattrs of one restore batch's files, for the finish step of a restore onto a filesystem. */
export async function loadFinishItems(repo: Repository, restoreId: string, batch: number): Promise<FinishItem[]> {
  return (await readSignedJson(repo, restoreBatchKey(restoreId, batch), FinishBatchSchema)).items;
}
