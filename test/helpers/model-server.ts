import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

/** Compiled demo server, next to this helper in whichever outDir the tests were built into. */
export const MODEL_SERVER_JS = path.join(__dirname, '..', '..', 'src', 'demo', 'model-server.js');

export interface ModelServerProcess {
  name: string;
  port: number;
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Write a linear-model JSON file; returns its hex SHA-256 (what /health will answer). */
export function writeLinearModel(file: string, weights: number[], bias = 0): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const text = `${JSON.stringify({ weights, bias })}\n`;
  fs.writeFileSync(file, text);
  return createHash('sha256').update(text).digest('hex');
}

/** Start `node model-server.js --port 0 ...` and wait for its "listening" log line (port from listen(0)). */
export function startModelServerProcess(opts: { model: string; name: string; timeoutMs?: number }): Promise<ModelServerProcess> {
  const child = spawn(process.execPath, [MODEL_SERVER_JS, '--port', '0', '--model', opts.model, '--name', opts.name], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The helper reads the 'listening' line, an info-level log.
    env: { ...process.env, LEPTON_DR_LOG_LEVEL: 'info' },
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`model server ${opts.name} did not start: ${stderr}`));
    }, opts.timeoutMs ?? 10_000);
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`model server ${opts.name} exited with ${code}: ${stderr}`));
    };
    child.once('exit', onEarlyExit);
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      let j: { msg?: string; port?: number };
      try {
        j = JSON.parse(line) as typeof j;
      } catch {
        return;
      }
      if (j.msg === 'model-server listening' && j.port) {
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        rl.close();
        child.stdout!.resume(); // keep draining so the child never blocks on a full pipe
        resolve({
          name: opts.name,
          port: j.port,
          url: `http://127.0.0.1:${j.port}`,
          pid: child.pid!,
          child,
          stop: async () => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill('SIGTERM');
            const t = setTimeout(() => child.kill('SIGKILL'), 3000);
            await exited;
            clearTimeout(t);
          },
        });
      }
    });
  });
}
