import { runTool } from './run-tool';
import type { FsPath } from './raw-path';

/**
 * Node's utimes takes seconds as a double and libuv keeps whole microseconds of it, so most
 * nanosecond mtimes do not survive. Everything is set through Node first; the entries whose
 * value Node cannot hit are then fixed in one batched python3 run (os.utime with ns, not
 * following symlinks). Without python3 they stay at microsecond precision, with a warning.
 */

/** Seconds for Node's utimes: the closest double to the wanted time. */
export function toSeconds(ns: string): number {
  const n = BigInt(ns);
  return Number(n / 1_000_000_000n) + Number(n % 1_000_000_000n) / 1e9;
}

/** The nanoseconds libuv actually sets for `toSeconds(ns)` (uv__fs_to_timespec: truncate, then whole µs). */
export function nodeSetsNs(ns: string): bigint {
  const d = toSeconds(ns);
  const sec = Math.trunc(d);
  let nsec = Math.trunc((d - sec) * 1e9);
  nsec -= nsec % 1000;
  return BigInt(sec) * 1_000_000_000n + BigInt(nsec);
}

export const needsNsFix = (ns: string): boolean => nodeSetsNs(ns) !== BigInt(ns);

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
  const todo = items.filter((i) => needsNsFix(i.mtimeNs));
  if (!todo.length) return undefined;
  const input = todo.map((i) => `${Buffer.from(i.abs).toString('base64')} ${i.mtimeNs}\n`).join('');
  const r = await runTool('python3', ['-c', SCRIPT], input);
  if (r.code === null) return `python3 is not installed: ${todo.length} mtimes restored to the microsecond, not the nanosecond`;
  const bad = Number(r.stdout.toString('utf8').trim());
  if (r.code !== 0 || !Number.isFinite(bad)) return `nanosecond mtimes not restored (python3 failed: ${r.stderr.trim().split('\n').pop() ?? ''})`;
  return bad ? `${bad} of ${todo.length} nanosecond mtimes not restored: ${r.stderr.trim()}` : undefined;
}
