import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ChunkTask, ChunkTaskResult } from './chunk-task';
import type { AppliedPriority, ChunkPriority } from './thread-priority';

type Pending = { task: ChunkTask; data?: ArrayBuffer; resolve: (r: ChunkTaskResult) => void; reject: (e: Error) => void };

/** A fixed set of worker threads that read, chunk and hash file segments, optionally at a lower priority. */
export class ChunkPool {
  /** what each thread applied of the priority asked for, once all have started */
  readonly priorities: Promise<AppliedPriority[]>;
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly busy = new Map<Worker, Pending>();
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
      w.on('message', (r: ChunkTaskResult | { ready: AppliedPriority }) => ('ready' in r ? started(r.ready) : this.done(w, r)));
      w.on('error', (e) => this.failed(w, e));
      w.unref();
      this.all.push(w);
      this.idle.push(w);
    }
    this.priorities = Promise.all(ready);
  }

  /** Chunk and hash a task's segments; `data`: their bytes, already read (transferred to the thread, so it must own its ArrayBuffer). */
  run(task: ChunkTask, data?: ArrayBuffer): Promise<ChunkTaskResult> {
    if (this.closed) return Promise.reject(new Error('chunk pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, data, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop() as Worker;
      const p = this.queue.shift() as Pending;
      this.busy.set(w, p);
      w.ref();
      if (p.data) w.postMessage({ task: p.task, data: p.data }, [p.data]);
      else w.postMessage(p.task);
    }
  }

  private done(w: Worker, r: ChunkTaskResult): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    w.unref();
    this.idle.push(w);
    p?.resolve(r);
    this.pump();
  }

  private failed(w: Worker, e: Error): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    p?.reject(e);
  }
}
