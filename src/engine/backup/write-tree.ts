import type { Repository } from '../repo/repository';
import { TreeBlobEncoder, type TreeEntry } from '../repo/tree';
import type { PackUploader } from './pack-uploader';
import type { TreeBlobReuse } from './tree-reuse';

/**
 * Seals a snapshot's tree blobs into a pack uploader as its entries come, one blob in memory at
 * a time. The entries of a `reuse` range that starts between blobs keep the parent's blob id
 * (the plan found they encode to it, tree-reuse.ts): they are not encoded, unless that blob is in
 * no pack this backup may rely on, then they are encoded and sealed again.
 */
export class TreeWriter {
  private readonly enc = new TreeBlobEncoder();
  private readonly ids: string[] = [];
  /** the index of the next entry, and of the next reuse range */
  private next = 0;
  private r = 0;
  private held?: { id: string; count: number; entries: TreeEntry[] };

  constructor(
    private readonly repo: Repository,
    private readonly up: PackUploader,
    private readonly reuse: readonly TreeBlobReuse[] = [],
  ) {}

  /** Add the tree's next entry. */
  async add(e: TreeEntry): Promise<void> {
    const i = this.next++;
    if (!this.held) {
      while (this.r < this.reuse.length && this.reuse[this.r][0] < i) this.r++;
      const range = this.reuse[this.r];
      if (range?.[0] === i && this.enc.empty) {
        this.held = { count: range[1], id: range[2], entries: [] };
        this.r++;
      }
    }
    if (!this.held) return this.encode(e);
    this.held.entries.push(e);
    if (this.held.entries.length === this.held.count) await this.release(true);
  }

  /** Seal the last blob and wait until every pack is stored; returns the tree blob ids in order. */
  async finish(): Promise<string[]> {
    await this.release(false);
    const last = this.enc.finish();
    if (last) await this.seal(last);
    await this.up.flush();
    await this.up.drain();
    return this.ids;
  }

  /** The held range's blob: its id when it is whole and stored where the backup may rely on it, else its entries encoded. */
  private async release(whole: boolean): Promise<void> {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    if (whole && this.up.known(held.id)) {
      this.enc.skip();
      this.ids.push(held.id);
      return;
    }
    for (const e of held.entries) await this.encode(e);
  }

  private async encode(e: TreeEntry): Promise<void> {
    for (const blob of this.enc.add(e)) await this.seal(blob);
  }

  private async seal(blob: Buffer): Promise<void> {
    const id = this.repo.codec.id(blob);
    this.ids.push(id);
    // most blobs of a snapshot with a parent are the parent's: nothing to seal
    if (this.up.known(id)) return;
    const sealed = await this.repo.sealBlob(blob);
    if (this.up.add(id, 'tree', sealed.stored, sealed.rawLength)) await this.up.flush();
  }
}

/** Seal a snapshot's tree blobs into `up` and wait until every pack is stored; returns the tree blob ids in order. */
export async function writeTreeBlobs(repo: Repository, up: PackUploader, entries: TreeEntry[]): Promise<string[]> {
  const w = new TreeWriter(repo, up);
  for (const e of entries) await w.add(e);
  return w.finish();
}
