import type { Repository } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';
import type { TreeEntry } from '../repo/tree';
import { cmpTreeEntry } from '../source/tree-order';

/** One of the parent's tree blobs as the cursor reads it: its id, entries, and its JSON text when stored as this version stores blobs. */
export interface ParentTreeBlob {
  id: string;
  entries: TreeEntry[];
  text?: string;
}

/**
 * The parent snapshot's entries, read one tree blob at a time as the scan walks forward. Both
 * are in tree order (source/tree-order.ts), so a merge finds each scanned entry's counterpart
 * while holding one blob, not the parent's whole tree. An entry the parent stored out of that
 * order is simply not found: its file is read again, never wrongly reused. `onBlob` sees each
 * blob as it is read (the plan's tree-blob reuse, tree-reuse.ts).
 */
export class ParentCursor {
  private readonly blobs?: AsyncIterator<ParentTreeBlob>;
  private buf: TreeEntry[] = [];
  private at = 0;

  constructor(
    repo: Pick<Repository, 'treeBlobTexts'>,
    parent: SnapshotManifest | undefined,
    private readonly onBlob?: (b: ParentTreeBlob) => void,
  ) {
    this.blobs = parent ? repo.treeBlobTexts(parent)[Symbol.asyncIterator]() : undefined;
  }

  private async head(): Promise<TreeEntry | undefined> {
    while (this.at >= this.buf.length) {
      const next = await this.blobs?.next();
      if (!next || next.done) return undefined;
      this.onBlob?.(next.value);
      this.buf = next.value.entries;
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
