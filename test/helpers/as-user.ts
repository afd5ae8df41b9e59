import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The compiled project (dist/) this test runs from, for child processes to require. */
export const DIST = path.join(__dirname, '..', '..');

/**
 * Run an async function body in a child Node process as another user (the test runs as root).
 * `body` may `require(DIST + '/src/...')` and must return a JSON-able value.
 */
export function runAs<T>(uid: number, body: string, args: Record<string, unknown>): T {
  const script = `const DIST = ${JSON.stringify(DIST)}; const args = ${JSON.stringify(args)};
(async () => { ${body} })().then((r) => process.stdout.write(JSON.stringify(r ?? null)), (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { uid, gid: uid, encoding: 'utf8', cwd: '/', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`child as uid ${uid} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
