import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../common/failure-types';

/** Short steps: planning, committing, cleaning up. */
export const shortStep: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] },
};

/** Batches move data: long, heartbeating, resumable from their last heartbeat. */
export const batchStep: ActivityOptions = {
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 20, nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] },
};

/** How many batches of one run are in flight at once (spread over every worker on the queue). */
export const BATCH_FAN_OUT = 4;

/**
 * Asset hooks: the action's own timeout (at most 1 h, from the worker's plan) ends it first; the
 * heartbeat notices a lost worker. A hook that ran and failed is a result, not a retry: only a
 * lost worker runs it again, so hooks should be idempotent. A cancelled run waits until its
 * running hook has been stopped, so the post hook never overlaps the pre hook.
 */
export const hookStep: ActivityOptions = {
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  startToCloseTimeout: '65 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] },
};
