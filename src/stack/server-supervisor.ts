import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger';
import { readLastLines, type ServerProcess } from './process';

/** A launched server: its process and a clean stop (TemporalServer, SeaweedServer). */
export interface SupervisedServer {
  server: ServerProcess;
  stop(graceMs?: number): Promise<void>;
}

export interface ServerRestartPolicy {
  /** A server that ran at least this long counts as healthy: its next death restarts at once (default 10 s). */
  healthyAfterMs?: number;
  /** Delay before the first restart of a server that died quickly, doubled each time up to maxBackoffMs (default 1 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Give up after this many quick deaths (or failed restarts) in a row (default 5). */
  maxQuickFailures?: number;
}

export interface ServerSupervisorOptions<T extends SupervisedServer> extends ServerRestartPolicy {
  /** For messages, e.g. "Temporal dev server". */
  name: string;
  /** What the restart keeps, for messages, e.g. "SQLite /x/temporal.db, gRPC port 7233". */
  keeps: string;
  /** Starts the server with the same state and ports and resolves once it is healthy. */
  launch: () => Promise<T>;
  log: Logger;
  /** After a restart, with the new server. */
  onRestart?: (s: T) => void;
  /** Once it gave up, with the message saying so (the server is not running then). */
  onGiveUp?: (message: string) => void;
}

/** "exited with code 1", "killed by SIGKILL". */
export function describeExit(exitStatus: string | undefined): string {
  if (!exitStatus) return 'exited';
  const m = /^(code|signal) (.+)$/.exec(exitStatus);
  if (!m) return exitStatus;
  return m[1] === 'code' ? `exited with code ${m[2]}` : `was killed by ${m[2]}`;
}

/**
 * Watches a server the stack started and starts it again, with the same state and ports,
 * whenever it dies; each death and each return is logged at once, naming the server and how it
 * died. A server that keeps dying right after its start is given up on (onGiveUp), so a broken
 * state does not spin forever: the quick deaths back off like the worker's restarts.
 */
export class ServerSupervisor<T extends SupervisedServer> {
  private cur: T;
  private stopping = false;
  private wake: AbortController | undefined;
  private launching: Promise<T> | undefined;
  private readonly loop: Promise<void>;
  private restartCount = 0;

  constructor(
    first: T,
    private readonly o: ServerSupervisorOptions<T>,
  ) {
    this.cur = first;
    this.loop = this.watch();
  }

  /** The server running now (or the last one, while it restarts). */
  get current(): T {
    return this.cur;
  }

  get restarts(): number {
    return this.restartCount;
  }

  private async watch(): Promise<void> {
    const healthyAfter = this.o.healthyAfterMs ?? 10_000;
    const firstBackoff = this.o.backoffMs ?? 1000;
    const maxBackoff = this.o.maxBackoffMs ?? 30_000;
    const maxQuick = this.o.maxQuickFailures ?? 5;
    let quick = 0;
    let backoff = firstBackoff;
    let upSince = Date.now();
    for (;;) {
      await this.cur.server.exited;
      if (this.stopping) return;
      const p = this.cur.server;
      const upMs = Date.now() - upSince;
      quick = upMs >= healthyAfter ? 0 : quick + 1;
      let last = `${describeExit(p.exitStatus)} (up ${(upMs / 1000).toFixed(1)} s)`;
      this.o.log.error(
        { pid: p.pid, exit: p.exitStatus, upMs, log: p.logFile },
        `${this.o.name} (pid ${p.pid}) ${last}; restarting it with the same state (${this.o.keeps})`,
      );
      for (;;) {
        if (quick >= maxQuick) return this.giveUp(quick, last, p.logFile);
        const delay = quick === 0 ? 0 : backoff;
        backoff = quick === 0 ? firstBackoff : Math.min(backoff * 2, maxBackoff);
        if (delay > 0) {
          this.wake = new AbortController();
          await sleep(delay, undefined, { signal: this.wake.signal }).catch(() => undefined);
        }
        if (this.stopping) return;
        const t0 = Date.now();
        try {
          this.launching = this.o.launch();
          const next = await this.launching;
          this.launching = undefined;
          if (this.stopping) return void (await next.stop());
          this.cur = next;
          this.restartCount++;
          upSince = Date.now();
          this.o.log.info(
            { pid: next.server.pid, ms: upSince - t0, restarts: this.restartCount },
            `${this.o.name} is back (pid ${next.server.pid}, healthy after ${upSince - t0} ms)`,
          );
          this.o.onRestart?.(next);
          break;
        } catch (e) {
          this.launching = undefined;
          if (this.stopping) return;
          quick++;
          last = `failed to start again: ${firstLine((e as Error).message)}`;
          this.o.log.error({ err: (e as Error).message }, `${this.o.name} ${last}`);
        }
      }
    }
  }

  private giveUp(times: number, last: string, logFile: string): void {
    const tail = readLastLines(logFile, 5);
    const message =
      `${this.o.name} keeps dying (${times} times in a row within ${Math.round((this.o.healthyAfterMs ?? 10_000) / 1000)} s of starting; last ${last}); ` +
      `giving up. Its log ${logFile} ends with:\n${tail}`;
    this.o.log.fatal({ log: logFile }, message);
    this.o.onGiveUp?.(message);
  }

  /** Stops watching and stops the server (a restart under way is stopped once it is up). Idempotent. */
  async stop(graceMs?: number): Promise<void> {
    this.stopping = true;
    this.wake?.abort();
    await this.launching?.then(
      (s) => s.stop(0),
      () => undefined,
    );
    await this.cur.stop(graceMs);
    await this.loop;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 400);
}
