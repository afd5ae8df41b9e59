import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundledEntry } from '../common/build-output';
import type { Logger } from '../common/logger';
import { WORK_PROCESS_NODE_FLAGS, workProcessEnv } from '../common/node-flags';
import { readLastLines, spawnServer, type ServerProcess } from './process';

/** The worker entry point users run: the bundled one (dist/bundle/worker.js). */
export function workerScript(): string {
  return bundledEntry('worker');
}

/**
 * How to start a worker process with node: its arguments (the V8 flags it runs with, its entry
 * point, the plan) and its environment (`env` with the malloc settings of node-flags.ts).
 */
export function workerLaunch(script: string = workerScript(), planFile?: string, env: NodeJS.ProcessEnv = {}): { args: string[]; env: NodeJS.ProcessEnv } {
  return { args: [...WORK_PROCESS_NODE_FLAGS, script, ...(planFile ? ['--plan', planFile] : [])], env: workProcessEnv(env) };
}

export interface WorkerSupervisorOptions {
  /** Worker entry point (default workerScript()). */
  script?: string;
  /** --plan FILE for the worker (default: its own resolution: LEPTON_DR_PLAN, then the built-in local plan). */
  planFile?: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  log: Logger;
  /** A worker that ran at least this long restarts after 1 s again; quicker deaths back off up to maxBackoffMs. */
  healthyAfterMs?: number;
  maxBackoffMs?: number;
  /** SIGKILL the worker when this process gets SIGINT/SIGTERM (default false: the owner stops it in order). */
  killOnSignal?: boolean;
  /** Called after each (re)start with the new pid. */
  onSpawn?: (pid: number) => void;
  /** Called each time the worker died (before the restart), with what lastExit says. */
  onExit?: (exit: WorkerExit) => void;
}

/** How the worker last died: what the CLI shows when no worker polls. */
export interface WorkerExit {
  at: string;
  /** e.g. "code 1", "signal SIGKILL". */
  exit: string;
  upMs: number;
  /** Died before it counted as healthy: it could not start (or keeps crashing). */
  quick: boolean;
  /** The worker's own last error message from its log, if it logged one. */
  cause: string | undefined;
}

/**
 * The message of the last error (pino level >= 50) in a worker log's tail, else its last line:
 * a worker that cannot start logs "worker failed: <why>" as its last words.
 */
export function causeFromLog(tail: string): string | undefined {
  const lines = tail
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const j = JSON.parse(lines[i]) as { level?: number; msg?: unknown };
      if ((j.level ?? 0) >= 50 && typeof j.msg === 'string') return j.msg.slice(0, 400);
    } catch {
      // not a JSON log line
    }
  }
  const last = lines.at(-1);
  return last && last !== '(no log)' ? last.slice(0, 400) : undefined;
}

/**
 * Runs `node <worker> [--plan FILE]` as a child process and starts it again whenever it dies
 * (with a growing delay while it keeps dying at once, so a broken plan does not spin).
 */
export class WorkerSupervisor {
  private current: ServerProcess | undefined;
  private stopping = false;
  private wake: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private startCount = 0;
  private lastExitSeen: WorkerExit | undefined;
  readonly script: string;

  constructor(private readonly o: WorkerSupervisorOptions) {
    this.script = o.script ?? workerScript();
  }

  /** pid of the running worker process, if one runs. */
  get pid(): number | undefined {
    return this.current && this.current.exitStatus === undefined ? this.current.pid : undefined;
  }

  /** How many times the worker was started again after dying. */
  get restarts(): number {
    return Math.max(0, this.startCount - 1);
  }

  /** How the worker last died, if it did. */
  get lastExit(): WorkerExit | undefined {
    return this.lastExitSeen;
  }

  get logFile(): string {
    return this.o.logFile;
  }

  start(): void {
    if (this.loop) return;
    if (!fs.existsSync(this.script)) {
      throw new Error(`worker entry point ${this.script} is missing: run "npm run build" first`);
    }
    this.loop = this.run();
  }

  private spawn(): ServerProcess {
    const { args, env } = workerLaunch(this.script, this.o.planFile, this.o.env);
    this.startCount++;
    const p = spawnServer(process.execPath, args, { logFile: this.o.logFile, env, killOnSignal: this.o.killOnSignal ?? false });
    this.current = p;
    this.o.onSpawn?.(p.pid);
    this.o.log.info({ pid: p.pid, plan: this.o.planFile ?? '(default)', log: this.o.logFile }, this.startCount > 1 ? 'worker restarted' : 'worker started');
    return p;
  }

  private async run(): Promise<void> {
    const healthyAfter = this.o.healthyAfterMs ?? 10_000;
    const maxBackoff = this.o.maxBackoffMs ?? 30_000;
    let backoff = 1000;
    while (!this.stopping) {
      const startedAt = Date.now();
      this.current = this.spawn();
      await this.current.exited;
      if (this.stopping) break;
      const upMs = Date.now() - startedAt;
      backoff = upMs >= healthyAfter ? 1000 : Math.min(backoff * 2, maxBackoff);
      const quick = upMs < healthyAfter;
      const delay = quick ? backoff : 1000;
      // A worker that dies at once usually says why in its last lines.
      const last = quick ? readLastLines(this.o.logFile, 5) : undefined;
      const tail = last
        ?.split('\n')
        .map((l) => l.slice(0, 400))
        .join('\n');
      const cause = last === undefined ? undefined : causeFromLog(last);
      const exit = this.current.exitStatus ?? 'exited';
      this.lastExitSeen = { at: new Date().toISOString(), exit, upMs, quick, cause };
      this.o.onExit?.(this.lastExitSeen);
      const why = quick ? `exited (${exit}) ${(upMs / 1000).toFixed(1)} s after its start${cause ? `: ${cause}` : ''}` : `exited (${exit})`;
      const fields = { pid: this.current.pid, exit, upMs, restartInMs: delay, log: this.o.logFile, tail };
      const msg = `worker ${why}; restarting in ${Math.round(delay / 1000)} s (log ${this.o.logFile})`;
      if (quick) this.o.log.error(fields, msg);
      else this.o.log.warn(fields, msg);
      this.wake = new AbortController();
      await sleep(delay, undefined, { signal: this.wake.signal }).catch(() => undefined);
    }
  }

  /** Stops the worker (SIGTERM: it finishes in-flight tasks for up to its shutdown grace time) and the restarts. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    this.wake?.abort();
    await this.current?.stop(graceMs);
    await this.loop;
  }
}
