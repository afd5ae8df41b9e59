import { spawn } from 'node:child_process';
import { errorMessage } from '../common/errors';
import { logger } from '../common/logger';
import { redact } from '../common/secrets';
import type { Action, CommandAction, HttpAction } from '../config/action-schema';

/** Outcome of one fence/unfence/reload action. Never thrown: callers decide what a failure means. */
export interface ActionResult {
  ok: boolean;
  kind: 'http' | 'command';
  /** "POST http://host/admin/fence" or the argv joined by spaces. */
  target: string;
  /** HTTP status (http actions that got a response). */
  status?: number;
  /** Exit code (command actions that exited); null when killed by a signal. */
  exitCode?: number | null;
  signal?: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Last bytes of the response body, or of stdout+stderr interleaved. */
  outputTail: string;
  error?: string;
}

export interface RunActionOptions {
  /** Cancellation from the caller (e.g. an activity's cancellation signal). */
  signal?: AbortSignal;
  /** How much output to keep (bytes); default 2048. */
  tailBytes?: number;
}

const DEFAULT_TAIL = 2048;
const KILL_GRACE_MS = 2000;

export async function runAction(action: Action, opts: RunActionOptions = {}): Promise<ActionResult> {
  const r = redactResult(action.type === 'http' ? await runHttpAction(action, opts) : await runCommandAction(action, opts));
  const log = logger().child({ component: 'failover.action' });
  if (r.ok) log.info({ target: r.target, status: r.status, exitCode: r.exitCode, durationMs: r.durationMs }, 'action succeeded');
  else log.warn({ target: r.target, status: r.status, exitCode: r.exitCode, timedOut: r.timedOut, error: r.error, durationMs: r.durationMs }, 'action failed');
  return r;
}

/** Target, error and output may carry substituted secrets (`--token ${FENCE_TOKEN}`, a URL's query): they go to logs, failures and reports. */
function redactResult(r: ActionResult): ActionResult {
  return { ...r, target: redact(r.target), outputTail: redact(r.outputTail), ...(r.error !== undefined ? { error: redact(r.error) } : {}) };
}

function tail(text: string, n: number): string {
  return text.length > n ? text.slice(text.length - n) : text;
}

function isOkStatus(status: number, expect: readonly number[] | undefined): boolean {
  return expect ? expect.includes(status) : status >= 200 && status < 300;
}

/** fetch() with a timeout covering headers and body, plus optional caller cancellation. */
export async function runHttpAction(
  action: Pick<HttpAction, 'method' | 'url' | 'headers' | 'body' | 'expectStatus' | 'timeoutMs'>,
  opts: RunActionOptions = {},
): Promise<ActionResult> {
  const tailBytes = opts.tailBytes ?? DEFAULT_TAIL;
  const target = `${action.method} ${action.url}`;
  const started = performance.now();
  const timeout = AbortSignal.timeout(action.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const headers: Record<string, string> = { ...action.headers };
  let body: string | undefined;
  if (typeof action.body === 'string') body = action.body;
  else if (action.body !== undefined) {
    body = JSON.stringify(action.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  try {
    const res = await fetch(action.url, { method: action.method, headers, body, signal, redirect: 'manual' });
    const text = await res.text();
    const ok = isOkStatus(res.status, action.expectStatus);
    return {
      ok,
      kind: 'http',
      target,
      status: res.status,
      timedOut: false,
      durationMs: Math.round(performance.now() - started),
      outputTail: tail(text, tailBytes),
      error: ok ? undefined : `unexpected HTTP status ${res.status}${action.expectStatus ? ` (expected ${action.expectStatus.join('|')})` : ' (expected 2xx)'}`,
    };
  } catch (e) {
    const timedOut = timeout.aborted;
    return {
      ok: false,
      kind: 'http',
      target,
      timedOut,
      durationMs: Math.round(performance.now() - started),
      outputTail: '',
      error: timedOut ? `timed out after ${action.timeoutMs} ms` : describeFetchError(e),
    };
  }
}

/** Node's fetch hides the useful part ("ECONNREFUSED") in `cause`. */
export function describeFetchError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${errorMessage(e)}: ${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  if (cause?.message) return `${errorMessage(e)}: ${cause.message}`;
  return errorMessage(e);
}

/**
 * Run a program without a shell. The child gets its own process group so a timeout kills
 * everything it started (a plain kill of "sh -c 'sleep 60'" would leave the sleep holding the
 * output pipes open). SIGTERM on timeout, SIGKILL after a short grace. Output is streamed into a
 * bounded tail, so a chatty command cannot exhaust memory (execFile's maxBuffer would kill it).
 */
export function runCommandAction(action: Pick<CommandAction, 'argv' | 'cwd' | 'env' | 'timeoutMs'>, opts: RunActionOptions = {}): Promise<ActionResult> {
  const tailBytes = opts.tailBytes ?? DEFAULT_TAIL;
  const [file, ...args] = action.argv;
  const target = action.argv.join(' ');
  const started = performance.now();
  return new Promise<ActionResult>((resolve) => {
    let out = Buffer.alloc(0);
    const keep = (chunk: Buffer) => {
      out = Buffer.concat([out, chunk]);
      if (out.length > tailBytes * 2) out = out.subarray(out.length - tailBytes);
    };
    let timedOut = false;
    let cancelled = false;
    let spawnError: Error | undefined;
    let settled = false;
    const child = spawn(file, args, {
      cwd: action.cwd,
      env: action.env ? { ...process.env, ...action.env } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      detached: true,
      windowsHide: true,
    });
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        try {
          child.kill(sig);
        } catch {
          // already gone
        }
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, action.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      const outputTail = tail(out.toString('utf8'), tailBytes);
      const ok = !spawnError && !timedOut && !cancelled && code === 0;
      let error: string | undefined;
      if (spawnError) error = `cannot run ${file}: ${errorMessage(spawnError)}`;
      else if (timedOut) error = `timed out after ${action.timeoutMs} ms`;
      else if (cancelled) error = 'cancelled';
      else if (code !== 0) error = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve({ ok, kind: 'command', target, exitCode: code, signal, timedOut, durationMs: Math.round(performance.now() - started), outputTail, error });
    };
    child.on('error', (e) => {
      spawnError = e;
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
    // A grandchild that outlives the command (a daemon it started) keeps the pipes open and
    // delays 'close'; the exit status is what counts.
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 250).unref());
  });
}
