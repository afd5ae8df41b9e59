import type { Repository } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';
import type { TreeEntry } from '../repo/tree';
import { cmpTreeEntry } from '../source/tree-order';

/**
 * The parent snapshot's entries, read one tree blob at a time as the scan walks forward. Both
 * are in tree order (source/tree-order.ts), so a merge finds each scanned entry's counterpart
 * while holding one blob, not the parent's whole tree. An entry the parent stored out of that
 * order is simply not found: its file is read again, never wrongly reused.
 */
/** The parent's tree blobs fetched ahead of the merge: a no-change run does little else with them. */
const PARENT_READ_AHEAD = 8;

export class ParentCursor {
  private readonly blobs?: AsyncIterator<TreeEntry[]>;
  private buf: TreeEntry[] = [];
  private at = 0;

  constructor(repo: Pick<Repository, 'treeBlobs'>, parent: SnapshotManifest | undefined) {
    this.blobs = parent ? repo.treeBlobs(parent, PARENT_READ_AHEAD)[Symbol.asyncIterator]() : undefined;
  }

  private async head(): Promise<TreeEntry | undefined> {
    while (this.at >= this.buf.length) {
      const next = await this.blobs?.next();
      if (!next || next.done) return undefined;
      this.buf = next.value;
      this.at = 0;
    }
    return this.buf[this.at];
  }

  /** The parent's entry of `e`'s path, if it has one. Ask in tree order: entries before `e` are passed for good. */
  async find(e: { path: string; rawPath?: string }): Promise<TreeEntry | undefined> {
    for (let h = await this.head(); h; h = await this.head()) {
      const c = cmpTreeEntry(h, e);
      if (c > 0) return undefined;
      this.at++;
      if (c === 0) return h;
    }
    return undefined;
  }
}
