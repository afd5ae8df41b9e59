import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BlobCodec } from '../repo/blob-codec';
import type { SealResult, SealTask } from '../backup/seal-chunks';
import type { OpenRangeResult, OpenRangeTask } from '../restore/open-range';
import type { ChunkTask, ChunkTaskResult } from './chunk-task';
import type { AppliedPriority, ChunkPriority } from './thread-priority';

type Pending = { message: unknown; transfer: ArrayBuffer[]; resolve: (r: never) => void; reject: (e: Error) => void };
type Reply = ChunkTaskResult | OpenRangeResult | SealResult;

/**
 * The engine's worker threads: a fixed set that read, chunk and hash file segments and seal the
 * new chunks for backups, and open fetched pack ranges for restores, optionally at a lower
 * priority. One queue for every kind of task; each thread does one task at a time.
 */
export class ChunkPool {
  /** what each thread applied of the priority asked for, once all have started */
  readonly priorities: Promise<AppliedPriority[]>;
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly busy = new Map<Worker, Pending>();
  /** repositories whose keys every thread holds (by BlobCodec.keysRef) */
  private readonly keyed = new Set<string>();
  private closed = false;

  constructor(
    readonly size: number = Math.max(1, os.availableParallelism()),
    priority: ChunkPriority = {},
  ) {
    const ready: Promise<AppliedPriority>[] = [];
    for (let i = 0; i < size; i++) {
      const w = new Worker(path.join(__dirname, 'chunk-worker.js'), { workerData: { priority } });
      let started!: (p: AppliedPriority) => void;
      ready.push(new Promise((resolve) => (started = resolve)));
      w.on('message', (r: Reply | { ready: AppliedPriority }) => ('ready' in r ? started(r.ready) : this.done(w, r)));
      w.on('error', (e) => this.failed(w, e));
      w.unref();
      this.all.push(w);
      this.idle.push(w);
    }
    this.priorities = Promise.all(ready);
  }

  /** Chunk and hash a task's segments; `data`: their bytes, already read (transferred to the thread, so it must own its ArrayBuffer). */
  run(task: ChunkTask, data?: ArrayBuffer): Promise<ChunkTaskResult> {
    return data ? this.submit({ task, data }, [data]) : this.submit(task, []);
  }

  /**
   * Open and check the blobs of a fetched pack range (openRange) in a thread; `range` is
   * transferred, so it must own its ArrayBuffer. An encrypted repository's keys go to every
   * thread once, in a message of their own, never with a task.
   */
  openRange(codec: BlobCodec, task: OpenRangeTask, range: ArrayBuffer): Promise<OpenRangeResult> {
    this.giveKeys(codec);
    return this.submit({ open: { ...task, keysRef: codec.keysRef }, data: range }, [range]);
  }

  /**
   * Compress and seal the new chunks of a chunked task (sealChunks) in a thread; `plain` (the
   * task's bytes) is transferred. Ahead of queued chunk tasks: the pipeline waits for it, while
   * the chunk tasks queued are read-ahead.
   */
  seal(codec: BlobCodec, task: SealTask, plain: ArrayBuffer): Promise<SealResult> {
    this.giveKeys(codec);
    return this.submit({ seal: { ...task, keysRef: codec.keysRef }, data: plain }, [plain], true);
  }

  private giveKeys(codec: BlobCodec): void {
    if (!codec.keys || !codec.keysRef || this.keyed.has(codec.keysRef) || this.closed) return;
    this.keyed.add(codec.keysRef);
    // a port delivers in order: every thread has the keys before any task that names them
    for (const w of this.all) w.postMessage({ keys: { ref: codec.keysRef, encKey: codec.keys.encKey, idKey: codec.keys.idKey } });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private submit<R>(message: unknown, transfer: ArrayBuffer[], first = false): Promise<R> {
    if (this.closed) return Promise.reject(new Error('chunk pool is closed'));
    return new Promise<R>((resolve, reject) => {
      const p = { message, transfer, resolve: resolve as (r: never) => void, reject };
      if (first) this.queue.unshift(p);
      else this.queue.push(p);
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop() as Worker;
      const p = this.queue.shift() as Pending;
      this.busy.set(w, p);
      w.ref();
      w.postMessage(p.message, p.transfer);
    }
  }

  private done(w: Worker, r: Reply): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    w.unref();
    this.idle.push(w);
    p?.resolve(r as never);
    this.pump();
  }

  private failed(w: Worker, e: Error): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    p?.reject(e);
  }
}
