import { ApplicationFailure } from '@temporalio/activity';
import { LeptonError } from '../common/errors';
import { NON_RETRYABLE_TYPES, type FailureTypeName } from '../common/failure-types';

/** Turn engine errors a retry cannot fix into non-retryable failures that keep their message and type. */
export async function mapFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LeptonError && NON_RETRYABLE_TYPES.includes(e.name as FailureTypeName)) {
      throw ApplicationFailure.create({ message: e.message, type: e.name, nonRetryable: true });
    }
    throw e;
  }
}
