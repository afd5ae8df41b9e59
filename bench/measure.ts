import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Timing, page-cache and peak-RSS helpers shared by every measured tool. */

export type CacheMode = 'cold' | 'warm';

const TIME_BIN = '/usr/bin/time';
export const hasGnuTime = (() => {
  try {
    fs.accessSync(TIME_BIN, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();

/** `sync; echo 3 > /proc/sys/vm/drop_caches`; false when not allowed (not root, container). */
export function dropCaches(): boolean {
  try {
    execFileSync('sync');
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** Read every file under root once (the warm fallback when caches cannot be dropped). */
export function readTree(root: string): number {
  const buf = Buffer.allocUnsafeSlow(8 * 1024 * 1024);
  let total = 0;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const fd = fs.openSync(p, 'r');
        try {
          let n;
          while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) total += n;
        } finally {
          fs.closeSync(fd);
        }
      }
    }
  };
  walk(root);
  return total;
}

/**
 * Puts the machine in the same cache state before every timed run: cold when the page cache
 * can be dropped, otherwise warm (the source read once right before).
 */
export class CachePolicy {
  readonly mode: CacheMode;
  constructor(private readonly source: string) {
    this.mode = dropCaches() ? 'cold' : 'warm';
  }
  prepare(): void {
    if (this.mode === 'cold') dropCaches();
    else readTree(this.source);
  }
}

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** peak resident set of the process, KiB (GNU time %M or /proc VmHWM polling) */
  maxRssKiB: number;
  /** user + system CPU seconds of the process and its threads (GNU time only; else undefined) */
  cpuS: number | undefined;
  /** 1-minute load average when the run started: other work on the machine shows up here */
  load1: number;
  stdout: string;
  stderr: string;
}

function vmHwmKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Peak RSS of a live process (KiB), e.g. a long-running worker. */
export const peakRssOf = vmHwmKiB;

/** User + system CPU seconds a live process has used so far (all its threads). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11], fields[12] = utime, stime (fields 14 and 15 of proc(5)), in clock ticks
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * Run a command to completion, measuring wall time (spawn to exit) and peak RSS the same way
 * for every tool: through GNU time when installed, else by polling VmHWM.
 */
export function runMeasured(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<ProcResult> {
  const rssFile = path.join(os.tmpdir(), `ldr-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [bin, argv] = hasGnuTime ? [TIME_BIN, ['-f', '%M %U %S', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const load1 = os.loadavg()[0];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, argv, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let polled = 0;
    const poll = hasGnuTime ? undefined : setInterval(() => (polled = Math.max(polled, vmHwmKiB(child.pid ?? -1))), 20);
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - t0;
      if (poll) clearInterval(poll);
      if (timer) clearTimeout(timer);
      let maxRssKiB = polled;
      let cpuS: number | undefined;
      if (hasGnuTime) {
        try {
          const lines = fs.readFileSync(rssFile, 'utf8').trim().split('\n');
          const [rss, user, sys] = lines[lines.length - 1].split(' ').map(Number);
          maxRssKiB = rss || 0;
          cpuS = user + sys;
        } catch {
          // time could not write (killed)
        }
        fs.rmSync(rssFile, { force: true });
      }
      resolve({ code, signal, wallMs, maxRssKiB, cpuS, load1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

export function check(r: ProcResult, what: string): ProcResult {
  if (r.code !== 0) throw new Error(`${what} failed (${r.signal ?? `exit ${r.code}`}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return r;
}

export const MiB = 1024 * 1024;

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
export const fmtMiB = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
export const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const mibPerS = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);

/** Nearest-rank percentile (p in 0..100) of the finite values; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}
