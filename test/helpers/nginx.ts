import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findNginx, startNginx, type NginxProcess } from '../../src/demo/nginx';

/** A loopback port that was free a moment ago (listen(0), read the port, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function nginxAvailable(): boolean {
  try {
    fs.accessSync(findNginx(), fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface TestNginx extends NginxProcess {
  /** Stop nginx and remove its prefix directory. */
  cleanup(): Promise<void>;
}

/** A private nginx in a fresh temp prefix on a free loopback port, proxying to `upstream`. */
export async function startTestNginx(upstream: string): Promise<TestNginx> {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-nginx-'));
  let lastErr: unknown;
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    try {
      const n = await startNginx({ prefix, port, upstream });
      return Object.assign(n, {
        cleanup: async () => {
          await n.stop();
          fs.rmSync(prefix, { recursive: true, force: true });
        },
      });
    } catch (e) {
      lastErr = e; // the port may have been taken in between: try another one
    }
  }
  fs.rmSync(prefix, { recursive: true, force: true });
  throw lastErr;
}
