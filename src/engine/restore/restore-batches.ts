import { restoreBatchKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { writeSignedJson } from '../repo/signed-doc';
import type { SnapshotManifest } from '../repo/snapshot';
import type { FileEntry } from '../repo/tree';
import type { RestoreItem } from './restore-plan';
import { restoreItem } from './restore-items';

/** Splits the files to write into batches of about `batchBytes` or `batchFiles` as they come, and stores each work list when it is full. */
export class RestoreBatchWriter {
  private cur: RestoreItem[] = [];
  private curBytes = 0;
  private readonly batchBytes: number;
  private readonly batchFiles: number;
  batches = 0;
  bytes = 0;

  constructor(
    private readonly repo: Repository,
    private readonly restoreId: string,
    private readonly staging: string,
    private readonly snapshot: Pick<SnapshotManifest, 'id' | 'asset'>,
    o: { batchBytes?: number; batchFiles?: number } = {},
  ) {
    this.batchBytes = o.batchBytes ?? 256 * 1024 * 1024;
    this.batchFiles = o.batchFiles ?? 5000;
  }

  async add(f: FileEntry): Promise<void> {
    this.cur.push(restoreItem(f));
    this.curBytes += f.size;
    this.bytes += f.size;
    if (this.curBytes >= this.batchBytes || this.cur.length >= this.batchFiles) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.cur.length) return;
    const doc = { v: 1, staging: this.staging, snapshotId: this.snapshot.id, asset: this.snapshot.asset, items: this.cur };
    await writeSignedJson(this.repo, restoreBatchKey(this.restoreId, this.batches), doc);
    this.batches++;
    this.cur = [];
    this.curBytes = 0;
  }
}
