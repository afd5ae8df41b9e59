import { runTool } from './run-tool';
import type { FsPath } from './raw-path';

/**
 * Node's utimes takes seconds as a double, which cannot hold today's nanoseconds (its step is
 * about 240 ns), and Node.js versions convert it differently (20 keeps whole microseconds, 24
 * keeps the double's nanoseconds). Everything is set through Node first, aimed at the middle of
 * the right microsecond so every version lands on it; then every entry is set to its exact
 * nanoseconds in one batched python3 run (os.utime with ns, not following symlinks). Without
 * python3 they stay right to the microsecond, with a warning.
 */

/** Seconds for Node's utimes: the middle of the recorded microsecond. */
export function toSeconds(ns: string): number {
  return (Number(BigInt(ns) / 1000n) + 0.5) / 1e6;
}

const SCRIPT = `
import base64, os, sys
bad = 0
for line in sys.stdin.buffer:
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

/** Set exact mtimes (and atimes) for `items` in one subprocess. Returns a warning, or undefined when all were set. */
export async function setExactMtimes(items: { abs: FsPath; mtimeNs: string }[]): Promise<string | undefined> {
  const todo = items;
  if (!todo.length) return undefined;
  const input = todo.map((i) => `${Buffer.from(i.abs).toString('base64')} ${i.mtimeNs}\n`).join('');
  const r = await runTool('python3', ['-c', SCRIPT], input);
  if (r.code === null) return `python3 is not installed: ${todo.length} mtimes restored to the microsecond, not the nanosecond`;
  const bad = Number(r.stdout.toString('utf8').trim());
  if (r.code !== 0 || !Number.isFinite(bad)) return `nanosecond mtimes not restored (python3 failed: ${r.stderr.trim().split('\n').pop() ?? ''})`;
  return bad ? `${bad} of ${todo.length} nanosecond mtimes not restored: ${r.stderr.trim()}` : undefined;
}
