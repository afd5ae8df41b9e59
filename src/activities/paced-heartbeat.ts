import type { Context } from '@temporalio/activity';
import { isLimited } from '../engine/limits/host-limits';
import type { BlobStore } from '../engine/store/blob-store';

/** Well inside the batch step's heartbeat timeout (20 s, workflows/activity-options.ts). */
const EVERY_MS = 5_000;

/**
 * Heartbeats of a batch. Under a bandwidth limit a batch may wait longer than the heartbeat
 * timeout for one pack (32 MiB at 1 MiB/s), so the last progress is repeated every few seconds
 * while it runs; a lost worker is still noticed (no process, no beats), and a hung request ends
 * by the store client's own timeout. Without limits only real progress beats, as before.
 */
export function pacedHeartbeat<P>(
  ctx: Pick<Context, 'heartbeat'>,
  store: BlobStore,
  /** runs `tick` every few seconds until the returned function is called (tests tick by hand) */
  every: (tick: () => void) => () => void = everyFewSeconds,
): { beat(p: P): void; stop(): void } {
  let last: P | undefined;
  const stop = isLimited(store) ? every(() => ctx.heartbeat(last)) : () => undefined;
  return {
    beat(p: P) {
      last = p;
      ctx.heartbeat(p);
    },
    stop,
  };
}

function everyFewSeconds(tick: () => void): () => void {
  const timer = setInterval(tick, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
