import { restoreBatchKey } from '../repo/layout';
import type { FileEntry } from '../repo/tree';
import { readSignedJson } from '../repo/signed-doc';
import type { Repository } from '../repo/repository';
import { FinishBatchParser, RestoreBatchParser, type FinishItem, type RestoreItem, type RestorePlan } from './restore-plan';

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
 * it. With a paths filter the leader is the first member that was kept. Files come one at a
 * time; it remembers the groups' leaders and the links.
 */
export class HardLinkSplitter {
  private readonly leaders = new Map<number, FileEntry>();
  readonly hardlinks: NonNullable<RestorePlan['hardlinks']> = [];

  /** The file when it is to be written; undefined when it becomes a link to its group's leader. */
  add(f: FileEntry): FileEntry | undefined {
    const lead = f.linkGroup !== undefined ? this.leaders.get(f.linkGroup) : undefined;
    if (lead) {
      this.hardlinks.push({ ...ref(f), leader: ref(lead) });
      return undefined;
    }
    if (f.linkGroup !== undefined) this.leaders.set(f.linkGroup, f);
    return f;
  }
}

export function splitHardLinks(files: FileEntry[]): { writes: FileEntry[]; hardlinks: NonNullable<RestorePlan['hardlinks']> } {
  const s = new HardLinkSplitter();
  const writes = files.filter((f) => s.add(f) !== undefined);
  return { writes, hardlinks: s.hardlinks };
}

/** The file items of one restore batch (the finish step sets their xattrs and exact mtimes). */
export async function loadRestoreItems(repo: Repository, restoreId: string, batch: number): Promise<RestoreItem[]> {
  return (await readSignedJson(repo, restoreBatchKey(restoreId, batch), RestoreBatchParser)).items;
}

/** The paths, mtimes and xattrs of one restore batch's files, for the finish step of a restore onto a filesystem. */
export async function loadFinishItems(repo: Repository, restoreId: string, batch: number): Promise<FinishItem[]> {
  return (await readSignedJson(repo, restoreBatchKey(restoreId, batch), FinishBatchParser)).items;
}
