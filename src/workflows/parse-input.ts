import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { FailureType } from '../common/failure-types';
import { formatIssues } from '../common/schema-primitives';

/** Parse a workflow input or refuse it (non-retryable BadInput), naming the field: "invalid <what>: field: reason". */
export function parseInput<S extends z.ZodTypeAny>(schema: S, raw: unknown, what: string): z.output<S> {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) throw ApplicationFailure.nonRetryable(`invalid ${what}: ${formatIssues(r.error)}`, FailureType.BadInput);
  return r.data;
}
