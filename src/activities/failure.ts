import { ApplicationFailure } from '@temporalio/activity';
import { LeptonError, NON_RETRYABLE_CODES } from '../common/errors';

/** Turn engine errors a retry cannot fix into non-retryable failures that keep their message and type. */
export async function mapFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LeptonError && (NON_RETRYABLE_CODES as readonly string[]).includes(e.code)) {
      throw ApplicationFailure.create({ message: e.message, type: e.name, nonRetryable: true });
    }
    throw e;
  }
}
