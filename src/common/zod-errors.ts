import type { ZodError, ZodTypeAny, z } from 'zod';
import { BadInputError } from './errors';

/** "field.path: reason; other.field: reason" — names every offending field. */
export function formatZodError(err: ZodError): string {
  return err.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** Parse or throw BadInputError("<what>: field: reason"). */
export function parseOrThrow<S extends ZodTypeAny>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new BadInputError(`invalid ${what}: ${formatZodError(r.error)}`);
  return r.data;
}
