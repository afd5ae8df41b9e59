import { z } from 'zod';
import { NameSchema } from '../config/plan-schema';
import { HeadersSchema, HttpUrlSchema, RelativePathSchema, StatusSchema, TimeoutMs } from '../config/schema-fields';

/** "The body equals the hex SHA-256 of <path> of <asset> in the snapshot chosen for this failover." */
export const SnapshotFileRefSchema = z
  .object({
    asset: NameSchema,
    path: RelativePathSchema,
  })
  .strict();
export type SnapshotFileRef = z.infer<typeof SnapshotFileRefSchema>;

export const HealthCheckSchema = z
  .object({
    /** Shown in reports; defaults to the URL. */
    name: z.string().min(1).max(100).optional(),
    url: HttpUrlSchema,
    method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
    headers: HeadersSchema,
    expectStatus: StatusSchema.default(200),
    /** Body, trimmed, must equal this text. */
    bodyEquals: z.string().optional(),
    /** Body must contain this text. */
    bodyContains: z.string().min(1).optional(),
    /** Body, trimmed, must equal the hex SHA-256 of this file in the chosen snapshot. */
    bodyEqualsSha256Of: SnapshotFileRefSchema.optional(),
    /** One attempt's timeout. */
    timeoutMs: TimeoutMs(2_000),
    /** Keep retrying a failing check for this long before giving up. */
    withinMs: z.number().int().nonnegative().max(3_600_000).default(30_000),
    /** Pause between attempts. */
    intervalMs: z.number().int().positive().max(600_000).default(500),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.bodyEquals !== undefined && c.bodyEqualsSha256Of) {
      ctx.addIssue({ code: 'custom', path: ['bodyEqualsSha256Of'], message: 'give at most one of "bodyEquals" or "bodyEqualsSha256Of"' });
    }
  });
export type HealthCheck = z.infer<typeof HealthCheckSchema>;
