import path from 'node:path';
import { z } from 'zod';

/** Field schemas actions, health checks and switchers share. */

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

/** A path inside a snapshot or restore target: relative, no "..". */
export const RelativePathSchema = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes('..'), 'must be a relative path without ".."');

/** The fields of a command: program and arguments (run without a shell), folder, env added to the worker's, timeout. */
export const commandFields = (timeoutMs: number) => ({
  argv: z
    .array(z.string())
    .min(1, 'must name the program to run')
    .refine((a) => a.length === 0 || a[0].length > 0, 'argv[0] must not be empty'),
  cwd: z.string().min(1).optional(),
  env: z.record(z.string()).optional(),
  timeoutMs: TimeoutMs(timeoutMs),
});

export const CommandSpecSchema = z.object(commandFields(30_000)).strict();
export type CommandSpec = z.infer<typeof CommandSpecSchema>;
