import os from 'node:os';

/** A count of places shared by every batch of the process; taking one never waits. */
export class SharedAllowance {
  constructor(private free: number) {}
  tryTake(): boolean {
    if (this.free <= 0) return false;
    this.free--;
    return true;
  }
  give(): void {
    this.free++;
  }
  get available(): number {
    return this.free;
  }
}

/**
 * Task reads beyond each batch's own one: about one per chunk thread for the whole process, so
 * the threads stay busy while a worker's several batches do not each hold a window of 16 MiB
 * read buffers of their own.
 */
export const extraReads = new SharedAllowance(Math.max(2, os.availableParallelism()));

interface Read<R> {
  result: Promise<R>;
  extra: boolean;
}

/**
 * The chunk tasks of one batch, read ahead in order. A batch always has one task of its own
 * under way or in hand (so it never waits on another batch); it reads further ahead only with
 * an extra place from the shared allowance, given back once the task is done with.
 */
export class TaskReads<T, R> {
  private readonly pending: Read<R>[] = [];
  private current?: Read<R>;
  private next = 0;
  private ownBusy = false;

  constructor(
    private readonly tasks: readonly T[],
    private readonly run: (task: T) => Promise<R>,
    /** at most this many reads under way for this batch */
    private readonly window: number,
    private readonly shared: SharedAllowance = extraReads,
  ) {
    this.topUp();
  }

  /** The next task's result; the one taken before is done with from now on. */
  take(): Promise<R> {
    this.release();
    this.topUp();
    const r = this.pending.shift();
    if (!r) throw new Error('no task left to read');
    this.current = r;
    this.topUp();
    return r.result;
  }

  /** Give back every place (the batch finished or stopped). */
  close(): void {
    this.release();
    for (const r of this.pending.splice(0)) this.free(r);
  }

  private release(): void {
    if (this.current) this.free(this.current);
    this.current = undefined;
  }

  private free(r: Read<R>): void {
    if (r.extra) this.shared.give();
    else this.ownBusy = false;
  }

  private topUp(): void {
    while (this.next < this.tasks.length && this.pending.length < this.window) {
      const extra = this.ownBusy;
      if (extra && !this.shared.tryTake()) return;
      if (!extra) this.ownBusy = true;
      this.pending.push({ result: this.run(this.tasks[this.next++]), extra });
    }
  }
}
