import { ExactMtimes, type MtimeEntry } from '../fs/mtimes';

/**
 * The exact nanosecond mtimes of one restore batch's files, set by python3 (fs/mtimes.ts) as the
 * files are finished, while the batch's next ranges are still coming, instead of all of them by
 * the finish step after the last batch. The session is the caller's when given (one process for
 * the batches and the finish step of restoreDirect, which closes it), else the batch's own.
 */
export class BatchMtimes {
  private readonly exact: ExactMtimes;
  private queued: MtimeEntry[] = [];
  private sent = Promise.resolve();

  constructor(private readonly shared?: ExactMtimes) {
    this.exact = shared ?? new ExactMtimes();
  }

  /** A file whose bytes, mode and Node-set mtime are final. */
  done(e: MtimeEntry): void {
    this.queued.push(e);
  }

  /** Hand what is queued to python3 without waiting for it: a caller holding a range slot goes on. */
  send(): void {
    if (!this.queued.length) return;
    const next = this.queued;
    this.queued = [];
    this.sent = this.sent.then(() => this.exact.add(next));
  }

  /** Resolves once every file given is set; a warning when some could not be (own session only: a shared one warns where it is closed). */
  async settle(): Promise<string | undefined> {
    this.send();
    await this.sent;
    if (this.shared) return void (await this.shared.settled());
    return this.exact.close();
  }

  /** After a failure: ends an own session (a shared one is its owner's to close). */
  async abandon(): Promise<void> {
    if (!this.shared) await this.exact.close();
  }
}
