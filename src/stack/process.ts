import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A server binary run in its own process group (so stop() also reaches its children), with
 * stdout and stderr appended to a log file. Whatever happens to this Node process, the servers
 * it started die with it: SIGKILL at 'exit', and (unless killOnSignal is false) at SIGINT/SIGTERM.
 * A process group of its own also means a Ctrl-C in the terminal does not reach the server
 * directly: the caller decides the order in which things stop.
 */
export interface ServerProcess {
  readonly pid: number;
  readonly logFile: string;
  /** Set once the process has exited, e.g. "code 1" or "signal SIGKILL". */
  readonly exitStatus: string | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM to the group, SIGKILL after graceMs (at once if graceMs is 0). Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** Last lines of the log, for error messages. */
  logTail(lines?: number): string;
}

export interface SpawnServerOptions {
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Runs (synchronously) if this process exits or is interrupted while the server runs. */
  cleanupAtExit?: () => void;
  /**
   * SIGKILL the server as soon as this process gets SIGINT/SIGTERM (default true, right for
   * tests). A supervisor that stops its servers in order itself passes false; the server is
   * still killed when this process exits.
   */
  killOnSignal?: boolean;
}

interface Live {
  cleanup?: () => void;
  killOnSignal: boolean;
}

/** Running servers: pid -> what to do when this process dies. */
const live = new Map<number, Live>();
let exitHookInstalled = false;
let signalHooksInstalled = false;

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function killLive(filter: (l: Live) => boolean): void {
  for (const [pid, l] of live) {
    if (!filter(l)) continue;
    killGroup(pid, 'SIGKILL');
    try {
      l.cleanup?.();
    } catch {
      // best effort while exiting
    }
    live.delete(pid);
  }
}

function installHooks(killOnSignal: boolean): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => killLive(() => true));
  }
  if (!killOnSignal || signalHooksInstalled) return;
  signalHooksInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      killLive((l) => l.killOnSignal);
      process.removeListener(sig, onSignal);
      // Restore the default action (exit) unless someone else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/** Head and tail of a log: the command line and first error usually sit at the top, the cause at the end. */
export function readTail(file: string, lines = 40): string {
  let all: string[];
  try {
    all = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  } catch {
    return '(no log)';
  }
  if (all.length <= lines) return all.join('\n');
  const head = Math.floor(lines / 3);
  return [...all.slice(0, head), `... (${all.length - lines} lines skipped) ...`, ...all.slice(all.length - (lines - head))].join('\n');
}

/** Only the last lines of a log (a long-lived log's head is old news). */
export function readLastLines(file: string, lines = 20): string {
  try {
    const st = fs.statSync(file);
    const len = Math.min(st.size, 64 * 1024);
    const buf = Buffer.alloc(len);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, buf, 0, len, st.size - len);
    } finally {
      fs.closeSync(fd);
    }
    return buf.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A start that failed because a port picked as free was taken meanwhile: worth retrying. */
export class PortClashError extends Error {}

/** The log text of servers that could not bind a port. */
export const PORT_CLASH_PATTERN = /is not available|address already in use/i;

/** After a failed start: removes everything in dir except the log, which the error message points to. */
export function removeAllBut(dir: string, keep: string): void {
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (p !== keep) fs.rmSync(p, { recursive: true, force: true });
  }
}

export function spawnServer(command: string, args: string[], opts: SpawnServerOptions): ServerProcess {
  const killOnSignal = opts.killOnSignal ?? true;
  installHooks(killOnSignal);
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = fs.openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    fs.writeSync(fd, `$ ${command} ${args.join(' ')}\n`);
    child = spawn(command, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`failed to start ${command}`);
  const pid = child.pid;
  live.set(pid, { cleanup: opts.cleanupAtExit, killOnSignal });
  let exitStatus: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitStatus = signal ? `signal ${signal}` : `code ${code}`;
      live.delete(pid);
      resolve();
    });
    child.once('error', (err) => {
      exitStatus = `spawn error: ${err.message}`;
      live.delete(pid);
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 5000): Promise<void> => {
    stopping ??= (async () => {
      if (exitStatus !== undefined) return;
      if (graceMs > 0) {
        killGroup(pid, 'SIGTERM');
        const ac = new AbortController();
        await Promise.race([exited, sleep(graceMs, undefined, { signal: ac.signal }).catch(() => undefined)]);
        ac.abort();
      }
      if (exitStatus === undefined) {
        killGroup(pid, 'SIGKILL');
        await exited;
      }
      // Reap anything left in the group (children that ignored SIGTERM).
      killGroup(pid, 'SIGKILL');
    })();
    return stopping;
  };

  return {
    pid,
    logFile: opts.logFile,
    get exitStatus() {
      return exitStatus;
    },
    exited,
    stop,
    logTail: (lines?: number) => readTail(opts.logFile, lines),
  };
}

/**
 * Polls probe() until it resolves, failing fast if the server exits and with the log tail
 * after timeoutMs. Returns probe's value.
 */
export async function waitUntilReady<T>(
  server: ServerProcess,
  name: string,
  probe: () => Promise<T>,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastErr: unknown;
  for (;;) {
    if (server.exitStatus !== undefined) {
      throw new Error(`${name} exited during startup (${server.exitStatus}); log ${server.logFile}:\n${server.logTail()}`);
    }
    try {
      return await probe();
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const why = lastErr instanceof Error ? lastErr.message : String(lastErr);
      throw new Error(`${name} not ready after ${opts.timeoutMs} ms (${why}); log ${server.logFile}:\n${server.logTail()}`);
    }
    await sleep(opts.intervalMs ?? 50);
  }
}
