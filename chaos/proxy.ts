import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Rng } from './rng';

export type FaultKind = 'http5xx' | 'resetBefore' | 'resetAfter' | 'truncate' | 'stall' | 'slowRead';
/** the random faults (about `rate` of all requests); slowRead is the extra stall of setSlowReads */
const RANDOM_FAULTS: readonly FaultKind[] = ['http5xx', 'resetBefore', 'resetAfter', 'truncate', 'stall'];
export const FAULT_KINDS: readonly FaultKind[] = [...RANDOM_FAULTS, 'slowRead'];

export interface FaultProxyOptions {
  /** e.g. "http://127.0.0.1:8333": where requests really go */
  upstream: string;
  seed: number;
  /** fraction of requests that get a fault */
  rate: number;
  /** a stall waits this long before forwarding (ms) */
  stallMs?: [number, number];
}

export interface FaultProxy {
  /** "http://127.0.0.1:<port>": the endpoint to give the workers */
  endpoint: string;
  requests(): number;
  faults(): Record<FaultKind, number>;
  /** faults on (default) or off, e.g. while the harness sets up */
  setEnabled(on: boolean): void;
  /** extra share of ranged pack reads (restore) to stall, so a restore batch is killed half done */
  setSlowReads(share: number): void;
  close(): Promise<void>;
}

/**
 * A fault-injecting HTTP proxy between the workers and SeaweedFS, on loopback only. For a seeded
 * share of the requests it answers 503 without forwarding, destroys the connection before or
 * after the upstream applied the request (the client cannot tell whether a PUT or DELETE
 * happened), cuts a response body short, or stalls before forwarding. The Host header is passed
 * through unchanged so SigV4 signatures made for the proxy's address still verify.
 */
export async function startFaultProxy(o: FaultProxyOptions): Promise<FaultProxy> {
  const up = new URL(o.upstream);
  const rng = new Rng(o.seed);
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const [stallLo, stallHi] = o.stallMs ?? [1500, 4000];
  let total = 0;
  let enabled = true;
  let slowReads = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  const decide = (req: http.IncomingMessage): FaultKind | undefined => {
    if (!enabled) return undefined;
    if (rng.chance(o.rate)) return rng.pick(RANDOM_FAULTS);
    const packRead = req.method === 'GET' && req.headers.range !== undefined && (req.url ?? '').includes('/data/');
    return packRead && slowReads > 0 && rng.chance(slowReads) ? 'slowRead' : undefined;
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, fault: FaultKind | undefined) => {
    const upReq = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent }, (upRes) => {
      if (fault === 'resetAfter') {
        upRes.resume();
        req.socket.destroy();
        return;
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      if (fault === 'truncate') {
        let sent = false;
        upRes.once('data', (chunk: Buffer) => {
          sent = true;
          res.write(chunk.subarray(0, Math.floor(chunk.length / 2)));
          upRes.destroy();
          req.socket.destroy();
        });
        upRes.once('end', () => {
          if (!sent) res.end();
        });
        return;
      }
      upRes.pipe(res);
    });
    upReq.on('error', () => req.socket.destroy());
    req.pipe(upReq);
  };

  const server = http.createServer((req, res) => {
    total++;
    const fault = decide(req);
    if (fault) counts[fault]++;
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    if (fault === 'http5xx') {
      req.resume();
      const body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>chaos proxy</Message></Error>';
      res.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), connection: 'close' });
      res.end(body);
    } else if (fault === 'resetBefore') {
      req.socket.destroy();
    } else if (fault === 'stall' || fault === 'slowRead') {
      req.pause();
      setTimeout(() => forward(req, res, fault), rng.int(stallLo, stallHi));
    } else {
      forward(req, res, fault);
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => total,
    faults: () => ({ ...counts }),
    setEnabled: (on) => {
      enabled = on;
    },
    setSlowReads: (share) => {
      slowReads = share;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
