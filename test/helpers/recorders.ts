import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fakes that record what a failover did to the outside world: a command action that appends its
 * name to a calls file, and a load-balancer admin API without a status endpoint.
 */
export interface CallLog {
  file: string;
  /** A site action (type command) that records `name` when it runs. */
  action(name: string, extraArgv?: string[]): Record<string, unknown>;
  calls(): string[];
  clear(): void;
}

export function callLog(file: string): CallLog {
  return {
    file,
    action: (name, extraArgv = []) => ({
      type: 'command',
      argv: [process.execPath, '-e', "require('fs').appendFileSync(process.argv[1], process.argv[2] + '\\n')", file, name, ...extraArgv],
      timeoutMs: 10_000,
    }),
    calls: () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []),
    clear: () => fs.rmSync(file, { force: true }),
  };
}

export interface BlindLb {
  url: string;
  /** Sides the admin API was told to send traffic to, in order. */
  switches: string[];
  close(): Promise<void>;
}

/** PUT /lb {"side": ...} is accepted and recorded; there is no way to read the active side back. */
export async function startBlindLb(): Promise<BlindLb> {
  const lb: BlindLb = { url: '', switches: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'PUT' && req.url === '/lb') lb.switches.push((JSON.parse(body) as { side: string }).side);
      res.writeHead(req.method === 'PUT' ? 200 : 404, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  lb.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  lb.close = () =>
    new Promise((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return lb;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** what `onRequest` returned, evaluated while the request was open */
  seen?: unknown;
}

export interface HttpRecorder {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Any request is answered 200 and recorded; `onRequest` runs before the answer (to check the world at that moment). */
export async function startHttpRecorder(onRequest?: (r: RecordedRequest) => Promise<unknown>): Promise<HttpRecorder> {
  const rec: HttpRecorder = { url: '', requests: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const r: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      void (onRequest ? onRequest(r) : Promise.resolve(undefined))
        .then(
          (seen) => (r.seen = seen),
          (e: Error) => (r.seen = `error: ${e.message}`),
        )
        .finally(() => {
          rec.requests.push(r);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rec.close = () =>
    new Promise((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return rec;
}
