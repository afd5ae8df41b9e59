import type { ZodTypeAny, z } from 'zod';
import { BadInputError } from './errors';
import { formatIssues } from './schema-primitives';

/** "field.path: reason; other.field: reason" — names every offending field. */
export const formatZodError = formatIssues;

/** Parse or throw BadInputError("<what>: field: reason"). */
export function parseOrThrow<S extends ZodTypeAny>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new BadInputError(`invalid ${what}: ${formatIssues(r.error)}`);
  return r.data;
}
