/**
 * The clock the harness's prunes run on: real time plus every jump the scenarios asked for, so a
 * grace period of seconds can pass "in a minute" while a backup that started before it still
 * runs. It only moves forward; marks written by pruneWorkflow (real clock) look older to it.
 */
export class FakeClock {
  private offset = 0;
  advance(ms: number): void {
    this.offset += ms;
  }
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
}
