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

/** What the activity of `ctx` last reported (undefined before its first report). */
export function lastProgress(ctx: Context): unknown {
  return lastReported.get(ctx);
}
