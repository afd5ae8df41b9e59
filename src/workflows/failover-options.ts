import type { Duration } from '@temporalio/common';
import { ActivityCancellationType, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { FailoverActivities } from '../activities/failover-activity-types';
import { NON_RETRYABLE_FAILOVER_TYPES } from '../common/failure-types';

/**
 * Per-step timeouts and retry policies of the failover workflows. Every failover activity
 * heartbeats every second while it runs, so a worker killed mid-step is noticed within the
 * heartbeat timeout (5 s) and the step is retried on another worker; a cancel reaches it at its
 * next heartbeat (the SDK throttles heartbeats to 80% of the timeout).
 */
const retry = (maximumAttempts: number, initialInterval: Duration = '500ms', maximumInterval: Duration = '10s') => ({
  initialInterval,
  backoffCoefficient: 2,
  maximumInterval,
  maximumAttempts,
  nonRetryableErrorTypes: [...NON_RETRYABLE_FAILOVER_TYPES],
});
/**
 * A cancelled run waits for the step's activity to stop (it learns of the cancel at its next
 * heartbeat) before compensating: a switch still in flight on another worker must not race the
 * switch back.
 */
const step = (startToCloseTimeout: Duration, maximumAttempts: number, initialInterval?: Duration): ActivityOptions => ({
  startToCloseTimeout,
  heartbeatTimeout: '5s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: retry(maximumAttempts, initialInterval),
});

/** Bookkeeping: incident, snapshot selection, reports, preserving targets. */
export const bookkeeping = proxyActivities<FailoverActivities>(step('1 minute', 8));
/** Fencing the primary in planned mode: must succeed. */
export const fenceRequired = proxyActivities<FailoverActivities>(step('2 minutes', 5, '1s'));
/** Fencing in unplanned mode: the primary is probably down; try twice, then carry on. */
export const fenceBestEffort = proxyActivities<FailoverActivities>(step('1 minute', 2));
/** Health checks: their own window does the waiting; a failure is final (HealthCheckFailed). */
export const health = proxyActivities<FailoverActivities>(step('15 minutes', 2));
/** Moving traffic: fast, retried quickly (a reload can fail transiently). */
export const switching = proxyActivities<FailoverActivities>(step('2 minutes', 5, '250ms'));
/** Compensations: retried patiently; a failed one leaves the run "failed" for a human. */
export const undo = proxyActivities<FailoverActivities>({ startToCloseTimeout: '2 minutes', heartbeatTimeout: '5s', retry: retry(10, '1s', '10s') });
/** Compensations that may fail without failing the run (unfencing a dead primary). */
export const undoBestEffort = proxyActivities<FailoverActivities>({ startToCloseTimeout: '1 minute', heartbeatTimeout: '5s', retry: retry(3, '1s', '5s') });
/** Fault injection (tests): one attempt. */
export const faults = proxyActivities<FailoverActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });
