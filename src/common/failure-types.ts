/**
 * Every failure type lepton-dr puts on a Temporal failure: activities raise them, workflows
 * match on them and list the ones no retry can fix. One catalogue, so a renamed type fails the
 * build instead of silently turning a permanent failure into ten retries. Pure: workflows import it.
 */
export const FailureType = {
  // engine errors (common/errors.ts classes keep these names)
  BadInput: 'BadInputError',
  NotFound: 'NotFoundError',
  Integrity: 'IntegrityError',
  SourceChanged: 'SourceChangedError',
  // an asset's preBackup hook failed: the backup did not start
  HookFailed: 'HookFailed',
  // failover steps
  HealthCheckFailed: 'HealthCheckFailed',
  WrongSide: 'WrongSide',
  InjectedFault: 'InjectedFault',
  ActionFailed: 'ActionFailed',
  DrillAlreadyRunning: 'DrillAlreadyRunning',
  CleanupFailed: 'CleanupFailed',
  ApprovalRejected: 'ApprovalRejected',
  ApprovalTimedOut: 'ApprovalTimedOut',
  // how a failover run ended
  FailoverFailed: 'FailoverFailed',
  FailoverAborted: 'FailoverAborted',
  FailoverCompensated: 'FailoverCompensated',
} as const;
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

/** Engine failures a retry cannot fix: bad input, missing or corrupt data, a source that changed under the backup. */
export const NON_RETRYABLE_TYPES: readonly FailureTypeName[] = [FailureType.BadInput, FailureType.NotFound, FailureType.Integrity, FailureType.SourceChanged];

/** Failover steps add their own: a failed health check, traffic on the wrong side, an injected fault. */
export const NON_RETRYABLE_FAILOVER_TYPES: readonly FailureTypeName[] = [
  ...NON_RETRYABLE_TYPES,
  FailureType.HealthCheckFailed,
  FailureType.InjectedFault,
  FailureType.WrongSide,
];
