import { Worker, type Transferable } from 'node:worker_threads';

type Pending<T, R> = { task: T; transfer: Transferable[]; resolve: (r: R) => void; reject: (e: Error) => void };

/**
 * A fixed set of worker threads running one script, one task at a time each, in submission
 * order. Idle workers are unref'd, so a pool nobody closes does not keep the process alive.
 */
export class WorkerPool<T, R> {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Pending<T, R>[] = [];
  private readonly busy = new Map<Worker, Pending<T, R>>();
  private closed = false;

  constructor(
    script: string,
    readonly size: number,
  ) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(script);
      w.on('message', (r: R) => this.done(w, r));
      w.on('error', (e) => this.failed(w, e));
      w.unref();
      this.all.push(w);
      this.idle.push(w);
    }
  }

  /** `transfer`: buffers handed to the worker (detached here), not copied. */
  run(task: T, transfer: Transferable[] = []): Promise<R> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, transfer, resolve, reject });
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
      const p = this.queue.shift() as Pending<T, R>;
      this.busy.set(w, p);
      w.ref();
      w.postMessage(p.task, p.transfer);
    }
  }

  private done(w: Worker, r: R): void {
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
