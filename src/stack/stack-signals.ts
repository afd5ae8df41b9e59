import type { Logger } from '../common/logger';

/** What a signal acts on once the stack is up. */
export interface SignalTarget {
  stopping(): boolean;
  stop(): void;
  /** SIGKILL every process of the stack at once. */
  killAll(): void;
}

/**
 * SIGINT/SIGTERM for the local stack: while starting, a signal marks the start as interrupted
 * (the starter stops what it started); once up, the first signal stops the stack in order and
 * a second kills everything at once.
 */
export class StackSignals {
  interrupted = false;
  /** A second signal killed everything (a stop that then sees SIGKILLed servers is no surprise). */
  forced = false;
  private target: SignalTarget | undefined;
  private readonly onSignal = (sig: NodeJS.Signals) => this.handle(sig);

  constructor(
    private readonly log: Logger,
    readonly enabled: boolean,
  ) {
    if (!enabled) return;
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** From now on a signal stops the stack. */
  attach(target: SignalTarget): void {
    this.target = target;
  }

  remove(): void {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }

  private handle(sig: NodeJS.Signals): void {
    const t = this.target;
    if (!t) {
      if (!this.interrupted) {
        this.interrupted = true;
        this.log.info(`${sig}: stopping what was started so far`);
      }
      return;
    }
    if (!t.stopping()) {
      this.log.info(`${sig}: stopping the local stack (worker first, then the servers)`);
      t.stop();
      return;
    }
    if (this.forced) return;
    this.forced = true;
    this.log.warn(`${sig} again: killing everything now`);
    t.killAll();
  }
}
