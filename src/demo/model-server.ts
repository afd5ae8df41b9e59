import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../common/logger';

/**
 * A tiny inference server for demos and tests: it loads a model file and serves predictions.
 *
 *   GET  /predict?x=1,2,3   -> {"y": ..., "model": "<sha256 prefix>", "servedBy": "<name>"}
 *   GET  /health            -> 200, body = hex SHA-256 of the loaded model file
 *                              503 when no model is loaded (file missing) or when fenced
 *   POST /admin/fence       -> refuse traffic (503 on /predict and /health)
 *   POST /admin/unfence     -> accept traffic again
 *   POST /admin/reload      -> re-read the model file (also on SIGHUP)
 *   GET  /admin/status      -> JSON state
 *
 * Model file: JSON {"weights": [..], "bias": b} is a linear model y = bias + sum(w[i % n] * x[i]).
 * Any other content is a "hash model": 8 weights and a bias derived from the file's SHA-256, so
 * every distinct file gives distinct, deterministic predictions.
 *
 * Run: node dist/src/demo/model-server.js --port P --model FILE --name primary [--host 127.0.0.1]
 */

export interface LinearModel {
  weights: number[];
  bias: number;
}

export interface LoadedModel {
  sha256: string;
  bytes: number;
  model: LinearModel;
  kind: 'linear-json' | 'hash';
  loadedAt: string;
}

export function parseModel(buf: Buffer): { model: LinearModel; kind: LoadedModel['kind'] } {
  try {
    const j = JSON.parse(buf.toString('utf8')) as Partial<LinearModel>;
    if (Array.isArray(j.weights) && j.weights.length > 0 && j.weights.every((w) => typeof w === 'number' && Number.isFinite(w))) {
      const bias = typeof j.bias === 'number' && Number.isFinite(j.bias) ? j.bias : 0;
      return { model: { weights: j.weights, bias }, kind: 'linear-json' };
    }
  } catch {
    // not JSON: fall through to the hash model
  }
  const d = createHash('sha256').update(buf).digest();
  const weights = Array.from({ length: 8 }, (_, i) => (d[i] - 128) / 128);
  return { model: { weights, bias: d[31] / 255 }, kind: 'hash' };
}

export function predict(model: LinearModel, x: readonly number[]): number {
  let y = model.bias;
  x.forEach((v, i) => {
    y += model.weights[i % model.weights.length] * v;
  });
  return Math.round(y * 1e9) / 1e9;
}

export interface ModelServerOptions {
  modelFile: string;
  name: string;
  port?: number;
  host?: string;
}

export interface ModelServer {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  model(): LoadedModel | undefined;
  fenced(): boolean;
  reload(): LoadedModel | undefined;
  close(): Promise<void>;
}

export async function startModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  const log = logger().child({ component: 'model-server', server: opts.name });
  let loaded: LoadedModel | undefined;
  let fenced = false;
  let requests = 0;

  const reload = (): LoadedModel | undefined => {
    try {
      const buf = fs.readFileSync(opts.modelFile);
      const { model, kind } = parseModel(buf);
      loaded = { sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.length, model, kind, loadedAt: new Date().toISOString() };
      log.info({ file: opts.modelFile, sha256: loaded.sha256, kind }, 'model loaded');
    } catch (e) {
      loaded = undefined;
      log.warn({ file: opts.modelFile, error: (e as Error).message }, 'no model loaded');
    }
    return loaded;
  };
  reload();

  const send = (res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-served-by': opts.name });
    res.end(body);
  };
  const json = (res: http.ServerResponse, status: number, v: unknown) => send(res, status, `${JSON.stringify(v)}\n`, 'application/json');

  const server = http.createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    const route = `${req.method} ${url.pathname}`;
    // Drain any request body before answering.
    req.resume();
    switch (route) {
      case 'GET /health':
      case 'HEAD /health':
        if (fenced) return send(res, 503, 'fenced\n');
        if (!loaded) return send(res, 503, 'no model loaded\n');
        return send(res, 200, `${loaded.sha256}\n`);
      case 'GET /predict': {
        if (fenced) return json(res, 503, { error: 'fenced', servedBy: opts.name });
        if (!loaded) return json(res, 503, { error: 'no model loaded', servedBy: opts.name });
        const raw = url.searchParams.get('x') ?? '';
        const x = raw === '' ? [] : raw.split(',').map(Number);
        if (x.some((v) => !Number.isFinite(v))) return json(res, 400, { error: 'x must be comma-separated numbers', servedBy: opts.name });
        return json(res, 200, { y: predict(loaded.model, x), model: loaded.sha256.slice(0, 12), servedBy: opts.name });
      }
      case 'POST /admin/fence':
        fenced = true;
        log.info('fenced');
        return json(res, 200, { fenced, servedBy: opts.name });
      case 'POST /admin/unfence':
        fenced = false;
        log.info('unfenced');
        return json(res, 200, { fenced, servedBy: opts.name });
      case 'POST /admin/reload': {
        const m = reload();
        return json(res, m ? 200 : 503, { loaded: Boolean(m), sha256: m?.sha256 ?? null, servedBy: opts.name });
      }
      case 'GET /admin/status':
        return json(res, 200, {
          name: opts.name,
          fenced,
          modelFile: opts.modelFile,
          sha256: loaded?.sha256 ?? null,
          kind: loaded?.kind ?? null,
          loadedAt: loaded?.loadedAt ?? null,
          requests,
        });
      default:
        return json(res, 404, { error: `no route ${route}`, servedBy: opts.name });
    }
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  log.info({ port: addr.port, host, model: opts.modelFile }, 'model-server listening');
  return {
    name: opts.name,
    port: addr.port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`,
    model: () => loaded,
    fenced: () => fenced,
    reload,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export function parseArgs(argv: readonly string[]): ModelServerOptions {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const modelFile = get('--model');
  if (!modelFile) throw new Error('usage: model-server --model FILE [--port P] [--name NAME] [--host 127.0.0.1]');
  const port = Number(get('--port') ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${get('--port')}`);
  return { modelFile, port, name: get('--name') ?? 'model', host: get('--host') ?? '127.0.0.1' };
}

async function main(): Promise<void> {
  let opts: ModelServerOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const s = await startModelServer(opts);
  process.on('SIGHUP', () => s.reload());
  const stop = () => {
    void s.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`model-server: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
