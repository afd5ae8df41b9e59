import fs from 'node:fs';
import { z } from 'zod';

const WorkerExitSchema = z.object({ at: z.string(), exit: z.string(), upMs: z.number(), quick: z.boolean(), cause: z.string().optional() });

/** <state>/run/stack.json: who runs the stack now, so a second `up` and the CLI can tell. */
export const StackStatusSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  stateDir: z.string(),
  endpoints: z.object({
    temporalAddress: z.string(),
    namespace: z.string(),
    uiUrl: z.string(),
    s3Endpoint: z.string(),
    bucket: z.string(),
    region: z.string(),
  }),
  /** Processes started by the stack; match is part of their command line (guards against reused pids). */
  children: z.array(z.object({ name: z.string(), pid: z.number().int(), match: z.string() })),
  /** The stack's supervised workers: where they log and how each last died (a start that failed says why). */
  workers: z
    .array(z.object({ name: z.string(), log: z.string(), pid: z.number().int().optional(), restarts: z.number().int(), lastExit: WorkerExitSchema.optional() }))
    .default([]),
});

export type StackStatus = z.input<typeof StackStatusSchema>;
export type StackWorkerStatus = z.output<typeof StackStatusSchema>['workers'][number];

/** The status file, or undefined if there is none (or it is not one: then nobody can be said to run the stack). */
export function readStackStatus(file: string): z.output<typeof StackStatusSchema> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const r = StackStatusSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}

export function writeStackStatus(file: string, status: StackStatus): void {
  fs.writeFileSync(file, JSON.stringify(status, null, 2));
}

export function removeStackStatus(file: string): void {
  fs.rmSync(file, { force: true });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether pid runs a command line containing match (guards against reused pids). */
export function runs(pid: number, match: string): boolean {
  if (!alive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(match);
  } catch {
    return true; // no /proc: trust the pid
  }
}
