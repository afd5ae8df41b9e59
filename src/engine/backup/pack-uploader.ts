import type { BlobStore } from '../store/blob-store';
import type { ChunkIndex } from '../repo/chunk-index';
import { encodeIndexFile } from '../repo/chunk-index';
import { indexKey, packKey } from '../repo/layout';
import { PackBuilder, sha256hex, type BlobType, type PackEntry } from '../repo/pack';
import { Semaphore } from '../limits/semaphore';
import { freeBuffer } from '../../common/free-buffer';

/**
 * Pack uploads in flight in this process, whatever uploader (batch, commit, copy, prune) they
 * come from: a worker runs several batches at once, and a per-uploader limit alone let the
 * packs held in memory grow with their number. A pack waits for its place sealed, before its
 * uploader goes on filling the next one, so each uploader holds at most one pack beyond these.
 */
const uploadSlots = new Semaphore(2);

export interface PackUploaderOptions {
  /** this uploader's packs under way at most (default 2) */
  maxInflight?: number;
  /** packs marked by prune: their blobs count as absent, so nothing new comes to rely on them */
  avoid?: ReadonlySet<string>;
  /** keep each pack's entries for consolidateIndex (a batch's packs only: a copy's or a prune's would all stay in memory) */
  oneIndexAtEnd?: boolean;
}

/**
 * Fills packs and uploads them with bounded concurrency. Each pack is followed by an index
 * object describing it, so a chunk is findable as soon as its pack is durable.
 * `onDurable(mark)` runs in flush order once a pack and all before it are durable.
 */
export class PackUploader {
  private readonly builder: PackBuilder;
  private readonly inflight: Promise<void>[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly queued = new Set<string>();
  /** with oneIndexAtEnd: every pack this uploader stored, with the key of the index object naming it */
  private readonly stored: { id: string; entries: PackEntry[]; indexKey: string }[] = [];
  bytesUploaded = 0;
  packsWritten = 0;

  private readonly maxInflight: number;
  private readonly avoid: ReadonlySet<string>;
  private readonly oneIndexAtEnd: boolean;

  constructor(
    private readonly store: BlobStore,
    private readonly index: ChunkIndex,
    private readonly packSize: number,
    o: PackUploaderOptions = {},
  ) {
    this.maxInflight = o.maxInflight ?? 2;
    this.avoid = o.avoid ?? new Set();
    this.oneIndexAtEnd = o.oneIndexAtEnd ?? false;
    // a little over the pack size: a pack closes after the blob that crosses it
    this.builder = new PackBuilder(packSize + (packSize >> 3));
  }

  /** Already stored in a pack we may rely on, or queued in this run. */
  known(id: string): boolean {
    if (this.queued.has(id)) return true;
    if (this.avoid.size === 0) return this.index.has(id);
    return this.index.locations(id).some((l) => !this.avoid.has(l.pack));
  }

  get pendingBytes(): number {
    return this.builder.bytes;
  }

  /** Add a blob; returns true when the current pack reached its size and should be flushed. */
  add(id: string, type: BlobType, data: Buffer, rawLength?: number): boolean {
    if (this.known(id)) return false;
    this.queued.add(id);
    this.builder.add(id, type, data, rawLength);
    return this.builder.bytes >= this.packSize;
  }

  /** Seal the current pack and start its upload; resolves once there is room for another. */
  async flush(onDurable?: () => Promise<void> | void): Promise<void> {
    if (this.builder.count > 0) {
      const { id, body, entries } = this.builder.finish();
      let started!: () => void;
      const placed = new Promise<void>((resolve) => (started = resolve));
      const upload = uploadSlots.run(async () => {
        started();
        // the pack's name is the SHA-256 of its bytes: hand it over so the store need not hash again
        await this.store.put(packKey(id), body, { sha256: id });
        const idx = encodeIndexFile([{ id, entries }]);
        const idxId = sha256hex(idx);
        await this.store.put(indexKey(idxId), idx, { sha256: idxId });
        this.index.addPack(id, entries);
        if (this.oneIndexAtEnd) this.stored.push({ id, entries, indexKey: indexKey(idxId) });
        this.bytesUploaded += body.length + idx.length;
        this.packsWritten++;
        // the pack's buffer is the builder's alone and the store is done with it
        freeBuffer(body.buffer);
      });
      await placed;
      this.inflight.push(upload);
      upload.finally(() => this.inflight.splice(this.inflight.indexOf(upload), 1)).catch(() => undefined);
      this.chain = this.chain.then(() => upload);
    }
    if (onDurable) this.chain = this.chain.then(onDurable);
    this.chain.catch(() => undefined);
    while (this.inflight.length >= this.maxInflight) await Promise.race(this.inflight);
  }

  /** Wait for every upload and durable callback; rethrows the first failure. */
  async drain(): Promise<void> {
    await this.chain;
  }

  /**
   * After a failure: wait until no upload or durable callback of this uploader still runs,
   * whatever their outcome, so nothing it started (a pack, an index object, a progress record)
   * lands after its caller has given up and a retry may have begun.
   */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    await this.chain.catch(() => undefined);
  }

  /**
   * After drain: replace the index objects of this uploader's packs, one per pack, by a single
   * one, so the next open of the repository reads one object where it read many. The new object
   * is durable before any old one goes, so a chunk is never unfindable; a reader that listed an
   * old object and finds it gone lists again. Only for packs nothing may delete meanwhile: those
   * of a backup's batch, which its work list protects from prune until the snapshot names them.
   * Not for append-only or locked stores, which cannot delete. Returns the keys of the index objects removed.
   */
  async consolidateIndex(deleteFrom: BlobStore): Promise<string[]> {
    if (!this.oneIndexAtEnd) throw new Error('consolidateIndex: this uploader was not made with oneIndexAtEnd');
    if (this.stored.length < 2) return [];
    const body = encodeIndexFile(this.stored.map((p) => ({ id: p.id, entries: p.entries })));
    const id = sha256hex(body);
    await this.store.put(indexKey(id), body, { sha256: id });
    this.bytesUploaded += body.length;
    const removed = this.stored.map((p) => p.indexKey);
    for (const key of removed) await deleteFrom.delete(key);
    this.stored.length = 0;
    return removed;
  }
}
