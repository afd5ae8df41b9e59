import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { logger, type Logger } from '../common/logger';
import { bearerMatches } from './auth';
import type { BridgeCounters } from './metrics';
import { handleAlertmanager, handleMetrics, handlePush, temporalDeliverer, type Deliverer, type Reply, type RouteContext } from './routes';

/**
 * `lepton-dr bridge`: an HTTP server on loopback (by default) between monitoring and the
 * prediction loops.
 *
 *   POST /webhook/alertmanager   Alertmanager webhook (payload v4) -> `alert` signal-with-start on predict-<site>
 *   POST /metrics/push           {site, samples: [{series, t?, v}]} -> `pushMetrics` signal-with-start
 *   GET  /metrics                Prometheus text: risk, level, duty cycles P(B) and P(W), warnings per site
 *   GET  /healthz                200 "ok" (no token)
 *
 * Every route but /healthz needs `Authorization: Bearer <token>` (401 otherwise; /metrics may be
 * made public). A malformed body gets 400 with the reason and signals nothing.
 */
export interface BridgeOptions {
  client?: Client;
  taskQueue?: string;
  /** Instead of a Temporal client (tests of the routes). */
  deliver?: Deliverer;
  token: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  siteLabel?: string;
  sites?: readonly string[];
  metricsSites?: readonly string[];
  publicMetrics?: boolean;
  maxBodyBytes?: number;
  log?: Logger;
}

export interface Bridge {
  url: string;
  port: number;
  counters: BridgeCounters;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, r: Reply): void {
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  res.writeHead(r.status, {
    'content-type': r.contentType ?? 'application/json',
    ...(r.status === 401 ? { 'www-authenticate': 'Bearer realm="lepton-dr"' } : {}),
  });
  res.end(text);
}

export async function startBridge(o: BridgeOptions): Promise<Bridge> {
  const log = (o.log ?? logger()).child({ component: 'bridge' });
  let deliver = o.deliver;
  if (!deliver) {
    if (!o.client || !o.taskQueue) throw new Error('startBridge: give a Temporal client and task queue, or a deliverer');
    deliver = temporalDeliverer(o.client, o.taskQueue);
  }
  const counters: BridgeCounters = { webhooks: {}, alerts: {}, pushes: {} };
  const ctx: RouteContext = {
    deliver,
    log,
    counters,
    siteLabel: o.siteLabel ?? 'dr_site',
    ...(o.sites ? { sites: o.sites } : {}),
    metricsSites: o.metricsSites ?? o.sites ?? [],
    seen: new Set(),
  };
  const max = o.maxBodyBytes ?? 1024 * 1024;

  const server = http.createServer((req, res) => {
    const id = randomUUID().slice(0, 8);
    const url = new URL(req.url ?? '/', 'http://bridge');
    const route = `${req.method} ${url.pathname}`;
    const handle = async (): Promise<Reply> => {
      if (route === 'GET /healthz') return { status: 200, body: 'ok\n', contentType: 'text/plain' };
      const known = ['POST /webhook/alertmanager', 'POST /metrics/push', 'GET /metrics'];
      if (!known.includes(route)) return { status: 404, body: { error: `no route ${route} (routes: ${known.join(', ')}, GET /healthz)` } };
      const needsToken = !(route === 'GET /metrics' && o.publicMetrics);
      if (needsToken && !bearerMatches(req.headers.authorization, o.token)) {
        if (route === 'POST /webhook/alertmanager') counters.webhooks.unauthorized = (counters.webhooks.unauthorized ?? 0) + 1;
        return { status: 401, body: { error: req.headers.authorization ? 'wrong bearer token' : 'missing bearer token (Authorization: Bearer <token>)' } };
      }
      if (route === 'GET /metrics') return handleMetrics(ctx);
      let raw: unknown;
      try {
        const body = await readBody(req, max);
        raw = JSON.parse(body.toString('utf8'));
      } catch (e) {
        if (e instanceof BodyTooLarge) return { status: 413, body: { error: `body larger than ${max} bytes` } };
        if (route === 'POST /webhook/alertmanager') counters.webhooks.invalid = (counters.webhooks.invalid ?? 0) + 1;
        return { status: 400, body: { error: `body is not JSON: ${(e as Error).message}` } };
      }
      return route === 'POST /webhook/alertmanager' ? handleAlertmanager(raw, ctx) : handlePush(raw, ctx);
    };
    handle()
      .then((r) => {
        if (r.status >= 400) log.warn({ requestId: id, route, status: r.status, error: (r.body as { error?: string }).error }, `${route} -> ${r.status}`);
        else log.debug({ requestId: id, route, status: r.status }, `${route} -> ${r.status}`);
        send(res, r);
      })
      .catch((e: Error) => {
        log.error({ requestId: id, route, err: e.message }, 'bridge request failed');
        send(res, { status: 500, body: { error: e.message } });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, siteLabel: ctx.siteLabel, sites: ctx.sites ?? 'any' }, 'bridge listening');
  return {
    url,
    port,
    counters,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
