import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger';
import { readLastLines, spawnServer, type ServerProcess } from './process';

/** The compiled worker entry point beside this module (dist/src/worker/main.js). */
export function workerScript(): string {
  return path.resolve(__dirname, '..', 'worker', 'main.js');
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
    const args = [this.script, ...(this.o.planFile ? ['--plan', this.o.planFile] : [])];
    this.startCount++;
    const p = spawnServer(process.execPath, args, { logFile: this.o.logFile, env: this.o.env, killOnSignal: this.o.killOnSignal ?? false });
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
      const delay = upMs >= healthyAfter ? 1000 : backoff;
      // A worker that dies at once usually says why in its last lines.
      const tail = upMs < healthyAfter ? readLastLines(this.o.logFile, 5).split('\n').map((l) => l.slice(0, 400)).join('\n') : undefined;
      this.o.log.warn(
        { pid: this.current.pid, exit: this.current.exitStatus, upMs, restartInMs: delay, log: this.o.logFile, tail },
        `worker exited (${this.current.exitStatus}); restarting in ${Math.round(delay / 1000)} s`,
      );
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
