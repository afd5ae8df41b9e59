/** Time as the bucket sees it: milliseconds, and a way to wait. Tests pass a virtual clock. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A bytes-per-second limit. Tokens accrue at `rate` up to `burst`; a request takes its bytes at
 * once and, when that leaves the bucket in debt, waits until the debt is paid. Requests are
 * served in arrival order (each reservation is made before the wait), so a request larger than
 * the burst is allowed and simply waits longer. The bucket starts empty: the bytes admitted from
 * any moment t0 on never exceed rate * (t - t0) + burst, whatever the request sizes.
 */
export class TokenBucket {
  private tokens = 0;
  private last: number;
  /** requests now waiting for tokens */
  waiting = 0;

  constructor(
    readonly rate: number,
    /** saved-up allowance after idle; default a tenth of a second of rate */
    readonly burst: number = rate / 10,
    private readonly clock: Clock = realClock,
  ) {
    if (!(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
    this.last = clock.now();
  }

  /** Reserve `bytes` and resolve when they may cross. */
  async take(bytes: number): Promise<void> {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    this.tokens -= bytes;
    if (this.tokens >= 0) return;
    this.waiting++;
    try {
      await this.clock.sleep((-this.tokens * 1000) / this.rate);
    } finally {
      this.waiting--;
    }
  }
}

/** Take from every bucket that applies (a repository's and an asset's): the tightest one sets the pace. */
export async function takeAll(buckets: readonly TokenBucket[], bytes: number): Promise<void> {
  if (bytes <= 0) return;
  await Promise.all(buckets.map((b) => b.take(bytes)));
}
