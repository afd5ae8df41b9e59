import { IntegrityError } from '../../common/errors';
import { batchKey, resultKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { readSignedJson } from '../repo/signed-doc';
import { BatchResultSchema, BatchSchema, type BatchResult, type WorkItem } from './work-plan';

type Stats = BatchResult['stats'];

/**
 * The batches' chunk lists, walked in entry order beside the plan's pages: the plan step writes
 * batches in entry order (a file's sections consecutive, possibly across two batches), so the
 * commit holds one batch and its result at a time, and sums their stats as it goes.
 */
export class BatchResults {
  private next = 0;
  private items: WorkItem[] = [];
  private chunks: string[][] = [];
  private at = 0;
  private readonly stats: Stats = { filesRead: 0, bytesRead: 0, chunksNew: 0, bytesNew: 0, bytesUploaded: 0, packsWritten: 0 };

  constructor(
    private readonly repo: Repository,
    private readonly backupId: string,
    private readonly batches: number,
  ) {}

  private async head(): Promise<WorkItem | undefined> {
    while (this.at >= this.items.length) {
      if (this.next >= this.batches) return undefined;
      const b = this.next++;
      const batch = await readSignedJson(this.repo, batchKey(this.backupId, b), BatchSchema);
      const result = await readSignedJson(this.repo, resultKey(this.backupId, b), BatchResultSchema);
      if (result.chunks.length !== batch.items.length)
        throw new IntegrityError(`backup ${this.backupId}: batch ${b} has ${batch.items.length} items, its result ${result.chunks.length}`);
      for (const k of Object.keys(this.stats) as (keyof Stats)[]) this.stats[k] += result.stats[k];
      this.items = batch.items;
      this.chunks = result.chunks;
      this.at = 0;
    }
    return this.items[this.at];
  }

  /** The chunks of pending entry `entry`, its sections in order; entries must be asked in increasing order. */
  async chunksOf(entry: number, path: string): Promise<string[]> {
    const parts: { start: number; chunks: string[] }[] = [];
    for (let it = await this.head(); it && it.entry <= entry; it = await this.head()) {
      if (it.entry < entry) throw new IntegrityError(`backup ${this.backupId}: a batch item of entry ${it.entry} comes after entry ${entry} was assembled`);
      parts.push({ start: it.start, chunks: this.chunks[this.at] });
      this.at++;
    }
    if (!parts.length) throw new IntegrityError(`backup ${this.backupId}: no batch result covers ${path}`);
    parts.sort((a, b) => a.start - b.start);
    return parts.flatMap((p) => p.chunks);
  }

  /** The summed stats of every batch; reads the batches no entry asked for (there are none in a plan this code wrote). */
  async finish(): Promise<Stats> {
    while (await this.head()) this.at = this.items.length;
    return this.stats;
  }
}
