import { z } from 'zod';

const UNIT: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
const RATE_PATTERN = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?(?:\/s)?$/i;
/** The lowest limit accepted: below it a single index or snapshot document waits for seconds. */
export const MIN_BYTES_PER_SEC = 64 * 1024;
const RATE_RULE = `must be bytes per second (a number, or "512KiB", "10MiB", "1GB", "/s" optional), at least ${MIN_BYTES_PER_SEC}`;

/** Bytes per second: 1048576, "1MiB", "1 MiB/s", "8MB". */
export const BytesPerSecSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === 'string' ? RATE_PATTERN.exec(v.trim()) : undefined;
  const n = typeof v === 'number' ? v : m ? Math.round(Number(m[1]) * UNIT[(m[2] ?? '').toLowerCase()]) : NaN;
  if (Number.isFinite(n) && n >= MIN_BYTES_PER_SEC) return Math.round(n);
  ctx.addIssue({ code: 'custom', message: RATE_RULE });
  return z.NEVER;
});

/**
 * Bandwidth an asset's backups may use (within the repository's): upload is the bytes written
 * to the repository, download the bytes read from an s3:// source.
 */
export const AssetLimitsSchema = z
  .object({
    uploadBytesPerSec: BytesPerSecSchema.optional(),
    downloadBytesPerSec: BytesPerSecSchema.optional(),
  })
  .strict();
export type AssetLimits = z.infer<typeof AssetLimitsSchema>;

/**
 * What one worker process may use of the host for this repository, like restic's
 * --limit-upload/--limit-download: upload is every byte written to the repository, download
 * every byte read from it and from s3:// sources. Shared by all the batches the process runs.
 */
export const RepositoryLimitsSchema = AssetLimitsSchema.extend({
  /** requests to the repository in flight at once (puts, gets, lists, ...) */
  maxRequests: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1024, 'must be at most 1024').optional(),
}).strict();
export type RepositoryLimits = z.infer<typeof RepositoryLimitsSchema>;
