/**
 * The clock the harness's prunes run on. The prune protocol assumes prune and workers read
 * clocks that agree (README, design), so this is real time: a scenario's "let the grace pass"
 * is a real wait (capped: the harness's grace periods are seconds), never a jump ahead of the
 * workers, which would be clock skew beyond the protocol's margin rather than a race.
 */
export class PruneClock {
  private static readonly MAX_WAIT_MS = 6000;
  async advance(ms: number): Promise<void> {
    const wait = Math.min(ms, PruneClock.MAX_WAIT_MS);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  now(): Date {
    return new Date();
  }
}
