import { Readable } from 'node:stream';
import type tls from 'node:tls';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ExchangeError, UNFRAMED, type Origin } from './body-connection';
import { ConnectionPool } from './connection-pool';

/** The request the SDK gives its HTTP handler (the fields read here). */
export interface SdkHttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  fragment?: string;
  headers: Record<string, string>;
  body?: unknown;
  username?: string;
  password?: string;
}

export interface SdkHttpResponse {
  statusCode: number;
  reason?: string;
  headers: Record<string, string>;
  body: Readable;
}

interface SdkHandlerOptions {
  abortSignal?: unknown;
  requestTimeout?: number;
}

export interface BufferedGetOptions {
  /** open connections per origin (default 64) */
  maxSockets?: number;
  connectionTimeoutMs?: number;
  /** longest silence of the server during a request */
  requestTimeoutMs?: number;
  /** an idle connection is closed after this long (before servers drop theirs, typically 20 s or more) */
  idleMs?: number;
  /** extra TLS settings for its own connections (a private CA) */
  tls?: tls.ConnectionOptions;
}

const WHOLE_BODY = Symbol('lepton-dr.wholeBody');

/** The body of a response this handler read, in one buffer: what a `for await` over the stream would collect, without the copy. */
export function wholeBodyOf(body: unknown): Buffer | undefined {
  const b = (body as { [WHOLE_BODY]?: Buffer } | null | undefined)?.[WHOLE_BODY];
  return Buffer.isBuffer(b) ? b : undefined;
}

/**
 * The S3 client's HTTP handler. GET requests go over its own keep-alive connections, each body
 * read straight into one buffer of its Content-Length (body-connection.ts); everything else (PUT,
 * HEAD, DELETE, LIST bodies, a response that is not length-framed) goes to the SDK's
 * NodeHttpHandler. Signing, retries, redirects and error parsing stay the SDK's: this is only the
 * transport, and a response (2xx or not) reaches the SDK as a stream like the default handler's.
 *
 * Why: with Node's http client every 64 KiB read is a new buffer; restoring 770 MiB from
 * SeaweedFS made about 12,000 of them, and their external memory started a full V8 marking about
 * every 25 MiB.
 */
export class BufferedGetHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly pool: ConnectionPool;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly fallback: NodeHttpHandler,
    opts: BufferedGetOptions = {},
  ) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 300_000;
    this.pool = new ConnectionPool({
      maxSockets: opts.maxSockets ?? 64,
      connectionTimeoutMs: opts.connectionTimeoutMs ?? 10_000,
      idleMs: opts.idleMs ?? 15_000,
      tls: opts.tls,
    });
  }

  /** The SDK's own handler; its request and response types are structurally those of this module. */
  private viaSdk(request: SdkHttpRequest, options: SdkHandlerOptions): Promise<{ response: SdkHttpResponse }> {
    return this.fallback.handle(request as never, options as never) as Promise<{ response: SdkHttpResponse }>;
  }

  async handle(request: SdkHttpRequest, options: SdkHandlerOptions = {}): Promise<{ response: SdkHttpResponse }> {
    const origin = originOf(request);
    if (!origin || request.method !== 'GET' || request.body != null || request.username != null || request.password != null) {
      return this.viaSdk(request, options);
    }
    const head = requestHead(request);
    const signal = abortSignalOf(options.abortSignal);
    const timeoutMs = options.requestTimeout ?? this.requestTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      const conn = await this.pool.acquire(origin, attempt > 0);
      const reused = conn.served > 0;
      try {
        const r = await conn.exchange(head, request.method, timeoutMs, (n) => Buffer.allocUnsafeSlow(n), signal);
        if (r === UNFRAMED) return this.viaSdk(request, options);
        return { response: { statusCode: r.head.statusCode, reason: r.head.reason, headers: r.head.headers, body: bodyStream(r.body) } };
      } catch (err) {
        // a keep-alive connection the server closed while it sat idle: once more on a new one (GET is idempotent)
        if (err instanceof ExchangeError && err.beforeResponse && reused && attempt === 0 && err.code !== 'ABORT_ERR') continue;
        throw err;
      }
    }
  }

  updateHttpClientConfig(key: never, value: never): void {
    this.fallback.updateHttpClientConfig(key, value);
  }

  httpHandlerConfigs(): ReturnType<NodeHttpHandler['httpHandlerConfigs']> {
    return this.fallback.httpHandlerConfigs();
  }

  destroy(): void {
    this.pool.destroy();
    this.fallback.destroy();
  }
}

function originOf(r: SdkHttpRequest): Origin | undefined {
  if (r.protocol !== 'http:' && r.protocol !== 'https:') return undefined;
  const tls = r.protocol === 'https:';
  const host = r.hostname.startsWith('[') && r.hostname.endsWith(']') ? r.hostname.slice(1, -1) : r.hostname;
  return { tls, host, port: r.port ?? (tls ? 443 : 80) };
}

const escapeUri = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The query as the SDK's own handler writes it (keys sorted, RFC 3986 escapes), so it matches what was signed. */
export function queryString(query: SdkHttpRequest['query']): string {
  const parts: string[] = [];
  for (const key of Object.keys(query ?? {}).sort()) {
    const value = query![key];
    const k = escapeUri(key);
    if (Array.isArray(value)) for (const v of value) parts.push(`${k}=${escapeUri(v)}`);
    else parts.push(value === null ? k : `${k}=${escapeUri(value)}`);
  }
  return parts.join('&');
}

const UNSAFE_HEADER = /[\r\n\0]/;

export function requestHead(r: SdkHttpRequest): string {
  const qs = queryString(r.query);
  const target = `${r.path || '/'}${qs ? `?${qs}` : ''}`;
  if (UNSAFE_HEADER.test(target) || target.includes(' '))
    throw new Error(`request path ${JSON.stringify(target.slice(0, 80))} has characters HTTP/1.1 cannot carry`);
  let head = `${r.method} ${target} HTTP/1.1\r\n`;
  let host = false;
  for (const [name, value] of Object.entries(r.headers)) {
    if (UNSAFE_HEADER.test(name) || UNSAFE_HEADER.test(String(value))) throw new Error(`request header "${name.slice(0, 40)}" has a line break`);
    host ||= name.toLowerCase() === 'host';
    head += `${name}: ${value}\r\n`;
  }
  if (!host) head += `Host: ${r.hostname}${r.port ? `:${r.port}` : ''}\r\n`;
  return `${head}\r\n`;
}

function bodyStream(buf: Buffer): Readable {
  const stream = Readable.from(buf.length ? [buf] : [], { objectMode: false });
  return Object.assign(stream, { [WHOLE_BODY]: buf });
}

function abortSignalOf(s: unknown): AbortSignal | undefined {
  return s && typeof (s as AbortSignal).addEventListener === 'function' ? (s as AbortSignal) : undefined;
}
