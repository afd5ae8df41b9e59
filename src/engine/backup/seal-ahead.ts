import type { ChunkRef, ChunkTaskResult } from '../chunker/chunk-task';
import type { Repository, SealedBlob } from '../repo/repository';

/**
 * Compresses and seals the chunks of one task result that are not stored yet, in the order the
 * pipeline consumes them, at most `ahead` at a time: compression runs on libuv's thread pool
 * while the pipeline packs the blob before, but only a few sealed copies exist at once (sealing
 * a whole 16 MiB task up front held a second copy of all of it).
 */
export class SealAhead {
  private readonly order: ChunkRef[] = [];
  private readonly position = new Map<string, number>();
  private readonly started: { id: string; blob: Promise<SealedBlob> }[] = [];
  private next = 0;
  private readonly sealing: Promise<SealedBlob>[] = [];

  constructor(
    private readonly repo: Repository,
    private readonly data: Buffer,
    res: ChunkTaskResult,
    /** stored already or queued in this run: not sealed */
    known: (id: string) => boolean,
    private readonly ahead = 4,
  ) {
    for (const r of res.results) {
      if ('error' in r) continue;
      for (const c of r.chunks) {
        if (this.position.has(c.id) || known(c.id)) continue;
        this.position.set(c.id, this.order.length);
        this.order.push(c);
      }
    }
    this.fill();
  }

  /**
   * The sealed blob of chunk `id`. Chunks are taken in the order they first appear; one that
   * became known meanwhile (another batch stored it) is skipped and its sealing dropped.
   */
  take(id: string): Promise<SealedBlob> {
    const at = this.position.get(id);
    while (this.started.length && this.started[0].id !== id) this.started.shift();
    let blob = this.started.shift()?.blob;
    if (!blob) {
      // not started yet (the chunks before it were skipped): seal it now and continue after it
      if (at === undefined) throw new Error(`chunk ${id.slice(0, 12)} is not a new chunk of this task`);
      blob = this.seal(this.order[at]);
      this.next = Math.max(this.next, at + 1);
    }
    this.fill();
    return blob;
  }

  /** Resolves once no sealing reads the task's bytes any more (then its buffer may be freed). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.sealing);
  }

  private seal(c: ChunkRef): Promise<SealedBlob> {
    const p = this.repo.sealBlob(this.data.subarray(c.off, c.off + c.len));
    // a batch that stops early (unreadable source) leaves some untaken: no unhandled rejection
    p.catch(() => undefined);
    this.sealing.push(p);
    return p;
  }

  private fill(): void {
    while (this.started.length < this.ahead && this.next < this.order.length) {
      const c = this.order[this.next++];
      this.started.push({ id: c.id, blob: this.seal(c) });
    }
  }
}
