import http from 'node:http';
import { freePort } from './ports';

/** One request seen by the proxy: method, decoded object key (path-style, bucket first) and the copy source of a CopyObject. */
export interface SeenRequest {
  method: string;
  /** "bucket/key/of/object", decoded */
  path: string;
  query: string;
  copySource?: string;
  /** the Range header of a ranged GET */
  range?: string;
}

/** An object GET (not a listing). */
export const isObjectGet = (r: SeenRequest): boolean => r.method === 'GET' && !r.query.includes('list-type');

export interface S3Proxy {
  /** http://127.0.0.1:port: give it as the `endpoint` of an S3 connection (path style) */
  endpoint: string;
  seen: SeenRequest[];
  /** answer a request 403 AccessDenied instead of forwarding it (a deterministic fault); unset: forward all */
  refuse?: (r: SeenRequest) => boolean;
  stop(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of an S3 endpoint that records every request and can refuse
 * chosen ones. Requests pass byte for byte with their Host header, so SigV4 signatures made for
 * the proxy's address still verify at the upstream.
 */
export async function startS3Proxy(upstream: string): Promise<S3Proxy> {
  const up = new URL(upstream);
  const port = await freePort();
  const proxy: S3Proxy = {
    endpoint: `http://127.0.0.1:${port}`,
    seen: [],
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://proxy');
    const copy = req.headers['x-amz-copy-source'];
    const r: SeenRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(u.pathname.replace(/^\//, '')),
      query: u.search,
      ...(typeof copy === 'string' ? { copySource: decodeURIComponent(copy) } : {}),
      ...(req.headers.range ? { range: req.headers.range } : {}),
    };
    proxy.seen.push(r);
    if (proxy.refuse?.(r)) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>refused by the test proxy</Message></Error>');
      return;
    }
    const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = proxy.stop;
  proxy.stop = async () => {
    server.closeAllConnections();
    agent.destroy();
    await stop();
  };
  return proxy;
}
