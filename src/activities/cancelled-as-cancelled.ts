import { CancelledFailure, Context } from '@temporalio/activity';

/** Runs `fn`; a step cut short by the run's cancellation reports "cancelled", not its own half-done failure. */
export async function cancelledAsCancelled<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  try {
    const r = await fn();
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('activity cancelled');
    return r;
  } catch (e) {
    if (ctx.cancellationSignal.aborted && !(e instanceof CancelledFailure)) throw new CancelledFailure('activity cancelled');
    throw e;
  }
}
