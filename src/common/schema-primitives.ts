import { z } from 'zod';

/**
 * The schema vocabulary every layer shares, once: names, durations and how zod issues read.
 * Pure zod, so workflows may import it too.
 */

/** Asset, site and snapshot names end up in object keys and workflow ids: keep them tame. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
const NAME_RULE = 'must be letters, digits, ".", "_" or "-", starting with a letter or digit';

/** A name (1-64 characters); `required` is the message when it is missing. */
export const nameSchema = (required?: string) =>
  z
    .string(required ? { required_error: required } : undefined)
    .min(1)
    .max(64)
    .regex(NAME_PATTERN, NAME_RULE);
export const NameSchema = nameSchema();

/** s3://bucket[/prefix] with a valid bucket name (an S3-prefix source, restore target or root). */
export const S3_URL_PATTERN = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;

/** A SHA-256 as 64 lower-case hex characters (ids of chunks, packs, trees). */
export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/;
export const Sha256HexSchema = z.string().regex(SHA256_HEX_PATTERN);

const MS_PER: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** "500ms", "90s", "15m", "1h", "7d". */
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/** Milliseconds of a duration string, or undefined when it is not one. */
export function parseDurationMs(v: string): number | undefined {
  const m = DURATION_PATTERN.exec(v);
  return m ? Number(m[1]) * MS_PER[m[2]] : undefined;
}

/** Milliseconds as a number, or a duration string ("500ms", "90s", "15m", "1h", "7d"). */
export const DurationMsSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  const ms = typeof v === 'string' ? parseDurationMs(v) : undefined;
  if (ms !== undefined) return ms;
  ctx.addIssue({ code: 'custom', message: 'must be milliseconds or a duration like "500ms", "90s", "15m", "1h" or "7d"' });
  return z.NEVER;
});

/** "field.path: reason; other.field: reason": names every offending field ("input" for the whole value). */
export function formatIssues(err: z.ZodError): string {
  return err.issues.map(formatIssue).join('; ');
}

/** The first offending field only: for documents where one bad entry may bring thousands of issues. */
export const firstIssue = (err: z.ZodError): string => formatIssue(err.issues[0] ?? { path: [], message: 'invalid' });

const formatIssue = (i: Pick<z.ZodIssue, 'path' | 'message'>) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`;
