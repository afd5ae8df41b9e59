import type { ActivityInterceptors } from '@temporalio/worker';
import { redact, redactDeep } from '../common/secrets';

/** Redact an error (message, stack, cause chain, details) in place: it is about to enter a workflow history. */
export function redactError(e: unknown, depth = 0): unknown {
  if (!(e instanceof Error) || depth > 5) return e;
  e.message = redact(e.message);
  if (e.stack) e.stack = redact(e.stack);
  const withDetails = e as { details?: unknown };
  if (Array.isArray(withDetails.details)) withDetails.details = redactDeep(withDetails.details);
  if (e.cause) redactError(e.cause, depth + 1);
  return e;
}

/**
 * Every activity's result and failure pass through here before the SDK sends them to the server:
 * the one place where no secret value (src/common/secrets.ts) can slip into a workflow history,
 * whichever activity or library produced the text.
 */
export const redactingActivityInterceptor = (): ActivityInterceptors => ({
  inbound: {
    async execute(input, next) {
      try {
        return redactDeep(await next(input));
      } catch (e) {
        throw redactError(e);
      }
    },
  },
});
