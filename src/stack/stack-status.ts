import fs from 'node:fs';
import type { LocalStackEndpoints } from './stack-endpoints';

/** <state>/run/stack.json: who runs the stack now, so a second `up` and the CLI can tell. */
export interface StackStatus {
  pid: number;
  startedAt: string;
  stateDir: string;
  endpoints: Omit<LocalStackEndpoints, 'logDir' | 'stateDir'>;
  /** Processes started by the stack; match is part of their command line (guards against reused pids). */
  children: { name: string; pid: number; match: string }[];
}

export function readStackStatus(file: string): StackStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StackStatus;
  } catch {
    return undefined;
  }
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
