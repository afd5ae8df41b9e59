import { startTool, type ToolSession } from './run-tool';
import type { FsPath } from './raw-path';

/**
 * Node's utimes takes seconds as a double, which cannot hold today's nanoseconds (its step is
 * about 240 ns), and Node.js versions convert it differently (20 keeps whole microseconds, 24
 * keeps the double's nanoseconds). Everything is set through Node first, aimed at the middle of
 * the right microsecond so every version lands on it; then every entry is set to its exact
 * nanoseconds by python3 (os.utime with ns, not following symlinks): one process for a whole
 * restore, fed as entries become final, because starting python3 costs more than setting
 * thousands of times. Without python3 they stay right to the microsecond, with a warning.
 */

/** Seconds for Node's utimes: the middle of the recorded microsecond. */
export function toSeconds(ns: string): number {
  return (Number(BigInt(ns) / 1000n) + 0.5) / 1e6;
}

// an empty line is a barrier: answered with "." once every entry before it is set
const SCRIPT = `
import base64, os, sys
bad = 0
for line in sys.stdin.buffer:
    if line == b'\\n':
        sys.stdout.write('.')
        sys.stdout.flush()
        continue
    p, ns = line.split()
    n = int(ns)
    try:
        os.utime(base64.b64decode(p), ns=(n, n), follow_symlinks=False)
    except OSError as e:
        bad += 1
        if bad == 1:
            sys.stderr.write(str(e))
print(bad)
`;

export type MtimeEntry = { abs: FsPath; mtimeNs: string };

/** Exact mtimes (and atimes) through one python3 process, started on the first entry. */
export class ExactMtimes {
  private tool?: ToolSession;
  private sent = 0;
  private acks = 0;
  private waiting: { n: number; resolve: () => void }[] = [];
  private barriers = 0;
  private closing?: Promise<string | undefined>;

  private start(): ToolSession {
    const t = startTool('python3', ['-c', SCRIPT]);
    t.onStdout((piece) => {
      for (const c of piece) if (c === 0x2e) this.acks++;
      const ready = this.waiting.filter((w) => w.n <= this.acks);
      this.waiting = this.waiting.filter((w) => w.n > this.acks);
      for (const w of ready) w.resolve();
    });
    // a process that is gone answers no barrier: release them all
    const release = () => this.waiting.splice(0).forEach((w) => w.resolve());
    void t.exited.then(release, release);
    return t;
  }

  /** Queue entries whose content and Node-set metadata are final; they are set in order. */
  async add(items: MtimeEntry[]): Promise<void> {
    if (!items.length) return;
    this.tool ??= this.start();
    this.sent += items.length;
    await this.tool.write(items.map((i) => `${Buffer.from(i.abs).toString('base64')} ${i.mtimeNs}\n`).join(''));
  }

  /** Resolves once every entry queued so far is set (or the process has gone). */
  async settled(): Promise<void> {
    if (!this.tool) return;
    const n = ++this.barriers;
    const done = new Promise<void>((resolve) => this.waiting.push({ n, resolve }));
    await this.tool.write('\n');
    await done;
  }

  /** Ends the process. Returns a warning, or undefined when all were set; a second call returns the first's answer. */
  close(): Promise<string | undefined> {
    this.closing ??= this.end();
    return this.closing;
  }

  private async end(): Promise<string | undefined> {
    if (!this.tool) return undefined;
    const r = await this.tool.end();
    const n = this.sent;
    if (r.code === null) return `python3 is not installed: ${n} mtimes restored to the microsecond, not the nanosecond`;
    const bad = Number(r.stdout.toString('utf8').replace(/\./g, '').trim());
    if (r.code !== 0 || !Number.isFinite(bad)) return `nanosecond mtimes not restored (python3 failed: ${r.stderr.trim().split('\n').pop() ?? ''})`;
    return bad ? `${bad} of ${n} nanosecond mtimes not restored: ${r.stderr.trim()}` : undefined;
  }
}

/** Set exact mtimes (and atimes) for `items` in one subprocess. Returns a warning, or undefined when all were set. */
export async function setExactMtimes(items: MtimeEntry[]): Promise<string | undefined> {
  const m = new ExactMtimes();
  await m.add(items);
  return m.close();
}
