import { z } from 'zod';
import { commandFields, HeadersSchema, HttpUrlSchema, StatusSchema, TimeoutMs } from './schema-fields';

/**
 * An action the worker runs: one HTTP call or one command (no shell). Sites fence, unfence and
 * reload with them, assets use them as backup and restore hooks.
 */

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

export const CommandActionSchema = z.object({ type: z.literal('command'), ...commandFields(60_000) }).strict();
export type CommandAction = z.infer<typeof CommandActionSchema>;

const ACTION_TYPES = "must be an action with type 'http' ({type, method, url, body?, headers?, timeoutMs}) or 'command' ({type, argv, cwd?, timeoutMs})";
export const ActionSchema = z.discriminatedUnion('type', [HttpActionSchema, CommandActionSchema], {
  errorMap: (issue, ctx) => (issue.code === 'invalid_union_discriminator' ? { message: ACTION_TYPES } : { message: ctx.defaultError }),
});
export type Action = z.infer<typeof ActionSchema>;
