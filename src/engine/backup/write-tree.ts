import type { Repository } from '../repo/repository';
import { TreeBlobEncoder, type TreeEntry } from '../repo/tree';
import type { PackUploader } from './pack-uploader';

/** Seals a snapshot's tree blobs into a pack uploader as its entries come, one blob in memory at a time. */
export class TreeWriter {
  private readonly enc = new TreeBlobEncoder();
  private readonly ids: string[] = [];

  constructor(
    private readonly repo: Repository,
    private readonly up: PackUploader,
  ) {}

  async add(e: TreeEntry): Promise<void> {
    for (const blob of this.enc.add(e)) await this.seal(blob);
  }

  /** Seal the last blob and wait until every pack is stored; returns the tree blob ids in order. */
  async finish(): Promise<string[]> {
    const last = this.enc.finish();
    if (last) await this.seal(last);
    await this.up.flush();
    await this.up.drain();
    return this.ids;
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
