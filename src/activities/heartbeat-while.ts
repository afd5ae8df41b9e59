import { CancelledFailure, Context } from '@temporalio/activity';

/** Heartbeat every second while `fn` runs, so a killed worker is noticed within the heartbeat timeout. */
export async function beating<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const t = setInterval(() => ctx.heartbeat(), 1000);
  try {
    const r = await fn();
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('activity cancelled');
    return r;
  } catch (e) {
    // a step cut short by the run's cancellation reports "cancelled", not its own half-done failure
    if (ctx.cancellationSignal.aborted && !(e instanceof CancelledFailure)) throw new CancelledFailure('activity cancelled');
    throw e;
  } finally {
    clearInterval(t);
  }
}
