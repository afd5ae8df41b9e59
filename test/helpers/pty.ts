import { spawn } from 'node:child_process';

/**
 * Runs argv on a pseudo-terminal (python3's pty module), as a user's shell would, and returns
 * everything it wrote. Once `until` appears in the output the child gets SIGINT (Ctrl-C);
 * `timeoutMs` is only a safety net: the child is killed and the output so far returned.
 */
const DRIVER = `
import os, pty, select, signal, sys, time, json
cfg = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])
out = b""
deadline = time.time() + cfg["timeoutMs"] / 1000.0
interrupted = False
while True:
    if time.time() > deadline:
        os.kill(pid, signal.SIGKILL)
        break
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not interrupted and cfg["until"] and cfg["until"].encode() in out:
            os.kill(pid, signal.SIGINT)
            interrupted = True
os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
`;

export function runInPty(argv: string[], o: { env: NodeJS.ProcessEnv; until?: string; timeoutMs?: number }): Promise<string> {
  const cfg = JSON.stringify({ argv, env: o.env, until: o.until ?? '', timeoutMs: o.timeoutMs ?? 60_000 });
  return new Promise((resolve, reject) => {
    const p = spawn('python3', ['-c', DRIVER, cfg], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.once('error', reject);
    p.once('close', () => resolve(Buffer.concat(chunks).toString('utf8').replace(/\r\n/g, '\n')));
  });
}
