import { Context } from '@temporalio/activity';

const lastReported = new WeakMap<Context, unknown>();

/**
 * Reports the running activity's progress: heartbeated now, and repeated by the worker's
 * keep-alive (src/worker/keep-alive-interceptor.ts) until the next report, so the details a
 * retry resumes from are always the latest, however long the next unit of work takes.
 */
export function reportProgress(details: unknown): void {
  const ctx = Context.current();
  lastReported.set(ctx, details);
  ctx.heartbeat(details);
}

/**
 * What the activity of `ctx` last reported; before its first report, what the attempt before it
 * reported (the details it resumes from), so a keep-alive beat never blanks them: a retry that dies
 * before its first report leaves the next attempt the same place to resume from.
 */
export function lastProgress(ctx: Context): unknown {
  return lastReported.has(ctx) ? lastReported.get(ctx) : ctx.info.heartbeatDetails;
}
