/**
 * Error classes shared by every layer. Activities turn the ones in NON_RETRYABLE_TYPES
 * (common/failure-types.ts, keyed by class name) into non-retryable Temporal failures;
 * everything else is retried.
 */
export class LeptonError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller asked for something invalid: retrying cannot help. */
export class BadInputError extends LeptonError {
  constructor(message: string) {
    super(message, 'BAD_INPUT');
  }
}

/** Named thing (snapshot, asset, object) does not exist. */
export class NotFoundError extends LeptonError {
  constructor(message: string) {
    super(message, 'NOT_FOUND');
  }
}

/** Stored data failed a hash or signature check. */
export class IntegrityError extends LeptonError {
  constructor(message: string) {
    super(message, 'INTEGRITY');
  }
}

/** Create-only write found the object already present. */
export class AlreadyExistsError extends LeptonError {
  constructor(message: string) {
    super(message, 'ALREADY_EXISTS');
  }
}

/** A source file changed or vanished between the scan and the read: the plan is stale. */
export class SourceChangedError extends LeptonError {
  constructor(message: string) {
    super(message, 'SOURCE_CHANGED');
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
