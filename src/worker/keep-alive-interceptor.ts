import type { Context } from '@temporalio/activity';
import type { ActivityInterceptors, ActivityInterceptorsFactory } from '@temporalio/worker';
import { lastProgress } from '../activities/progress';

/** Well inside the shortest heartbeat timeout in use (5 s, workflows/failover-options.ts); the SDK throttles what reaches the server. */
export const KEEP_ALIVE_MS = 1000;

/** Runs `tick` on a timer until the returned function is called (tests tick by hand). */
export type Ticker = (tick: () => void) => () => void;

const everySecond: Ticker = (tick) => {
  const timer = setInterval(tick, KEEP_ALIVE_MS);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * Every activity heartbeats on a timer while it runs, repeating its last reported progress
 * (src/activities/progress.ts). A step is slow for many reasons (a multi-GB ranged read, a large
 * pack upload under a bandwidth limit, a server-side copy, a scan of a million files) and none of
 * them may outlast its heartbeat timeout and be retried from scratch. A lost worker is still
 * noticed (no process, no beats); a hung request ends by the store client's own timeout.
 */
export function keepAliveActivityInterceptor(every: Ticker = everySecond): ActivityInterceptorsFactory {
  return (ctx: Context): ActivityInterceptors => ({
    inbound: {
      async execute(input, next) {
        const stop = every(() => ctx.heartbeat(lastProgress(ctx)));
        try {
          return await next(input);
        } finally {
          stop();
        }
      },
    },
  });
}
