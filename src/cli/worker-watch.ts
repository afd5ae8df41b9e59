import type { Connection } from '@temporalio/client';
import { livePollers } from '../common/task-queue-pollers';

export interface WorkerWatchOptions {
  connection: Pick<Connection, 'workflowService'>;
  address: string;
  namespace: string;
  taskQueue: string;
  /** How long a command waits for a poller before saying none polls (default 2 s: a worker just started needs a moment). */
  graceMs?: number;
  /** Between checks (default 1 s). */
  intervalMs?: number;
  /** A line for the user (stderr). */
  say: (line: string) => void;
  /** More lines when no worker polls: where its log is and why it could not start, if known. */
  hint?: () => string | undefined;
}

/** No worker polled the task queue within the grace time, and the command was told not to wait. */
export class NoWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoWorkerError';
  }
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/**
 * Tells the user within seconds when the run a command waits on cannot make progress: no worker
 * polls its task queue (the run waits, durable, until one does), or Temporal does not answer.
 * Each state change is said once; a worker showing up later is said too.
 */
export class WorkerWatch {
  private loop: Promise<void> | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private said: 'none' | 'no-worker' | 'unreachable' = 'none';

  constructor(private readonly o: WorkerWatchOptions) {}

  /** The message when no worker polls. */
  noWorkerMessage(): string {
    const head =
      `no worker is polling task queue "${this.o.taskQueue}" (namespace ${this.o.namespace}, Temporal ${this.o.address}): ` +
      'start one with `lepton-dr worker` or `lepton-dr up`';
    const hint = this.o.hint?.();
    return hint ? `${head}\n${hint}` : head;
  }

  /** Resolves once a worker polls, within the grace time; else NoWorkerError (nothing was started). */
  async requireWorker(): Promise<void> {
    const deadline = Date.now() + (this.o.graceMs ?? 2000);
    for (;;) {
      let why: string;
      try {
        const p = await livePollers(this.o.connection, this.o.namespace, this.o.taskQueue);
        if (p.workflow > 0 && p.activity > 0) return;
        why = this.noWorkerMessage();
      } catch (e) {
        why = `cannot ask Temporal at ${this.o.address} about task queue "${this.o.taskQueue}": ${errText(e)}`;
      }
      if (Date.now() >= deadline) throw new NoWorkerError(`${why}\n(--no-wait-for-worker: nothing was started)`);
      await new Promise((resolve) => setTimeout(resolve, this.o.intervalMs ?? 1000));
    }
  }

  /** Starts watching in the background (idempotent); stop() ends it. */
  begin(): void {
    this.loop ??= this.watch();
  }

  private async watch(): Promise<void> {
    const since = Date.now();
    const grace = this.o.graceMs ?? 2000;
    while (!this.stopped) {
      try {
        const p = await livePollers(this.o.connection, this.o.namespace, this.o.taskQueue);
        if (this.stopped) return;
        if (p.workflow > 0 && p.activity > 0) {
          if (this.said !== 'none') this.o.say(`a worker is polling task queue "${this.o.taskQueue}" now; waiting for the run`);
          this.said = 'none';
        } else if (this.said !== 'no-worker' && Date.now() - since >= grace) {
          this.o.say(`${this.noWorkerMessage()}\nthe run waits until a worker polls (Ctrl-C leaves it queued)`);
          this.said = 'no-worker';
        }
      } catch (e) {
        if (this.stopped) return;
        if (this.said !== 'unreachable' && Date.now() - since >= grace) {
          this.o.say(
            `cannot reach Temporal at ${this.o.address} (${errText(e)}); still waiting: is the local stack (\`lepton-dr up\`) or your Temporal server running?`,
          );
          this.said = 'unreachable';
        }
      }
      await this.pause();
    }
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, this.o.intervalMs ?? 1000);
      // the background watch never keeps a finished command alive
      this.timer.unref();
    });
  }

  /**
   * Ends the watch; a check under way is dropped. After a no-worker warning one last check says
   * whether a worker came: a run can finish between two checks, and the warning must not be the
   * last word when a worker did the work.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    if (this.said !== 'no-worker') return;
    this.said = 'none';
    const p = await livePollers(this.o.connection, this.o.namespace, this.o.taskQueue).catch(() => undefined);
    if (p && p.workflow > 0 && p.activity > 0) this.o.say(`a worker is polling task queue "${this.o.taskQueue}" now`);
  }
}
