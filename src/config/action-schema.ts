import { z } from 'zod';

/**
 * An action lepton-dr runs on the worker: an HTTP request or a program (no shell). Failover
 * sites use them to fence and reload, assets as backup and restore hooks. Values may hold
 * `${VAR}` references, resolved when the worker loads the plan and redacted from then on.
 */

export const HttpUrlSchema = z.string().refine((u) => {
  try {
    return ['http:', 'https:'].includes(new URL(u).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

export const HeadersSchema = z.record(z.string()).default({});
export const TimeoutMs = (dflt: number) => z.number().int().positive().max(3_600_000).default(dflt);
export const StatusSchema = z.number().int().min(100).max(599);

export const HttpActionSchema = z
  .object({
    type: z.literal('http'),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    url: HttpUrlSchema,
    headers: HeadersSchema,
    /** A string is sent as is; an object or array is sent as JSON. */
    body: z.union([z.string(), z.record(z.unknown()), z.array(z.unknown())]).optional(),
    /** Statuses that count as success; default: any 2xx. */
    expectStatus: z.array(StatusSchema).min(1).optional(),
    timeoutMs: TimeoutMs(10_000),
  })
  .strict();
export type HttpAction = z.infer<typeof HttpActionSchema>;

export const CommandActionSchema = z
  .object({
    type: z.literal('command'),
    /** Program and arguments; run without a shell. */
    argv: z.array(z.string()).min(1, 'must name the program to run').refine((a) => a.length === 0 || a[0].length > 0, 'argv[0] must not be empty'),
    cwd: z.string().min(1).optional(),
    /** Added to the worker's environment. */
    env: z.record(z.string()).optional(),
    timeoutMs: TimeoutMs(60_000),
  })
  .strict();
export type CommandAction = z.infer<typeof CommandActionSchema>;

const ACTION_TYPES = "must be an action with type 'http' ({type, method, url, body?, headers?, timeoutMs}) or 'command' ({type, argv, cwd?, timeoutMs})";
export const ActionSchema = z.discriminatedUnion('type', [HttpActionSchema, CommandActionSchema], {
  errorMap: (issue, ctx) => (issue.code === 'invalid_union_discriminator' ? { message: ACTION_TYPES } : { message: ctx.defaultError }),
});
export type Action = z.infer<typeof ActionSchema>;
