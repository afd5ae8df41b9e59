import net from 'node:net';
import tls from 'node:tls';
import { headEnd, parseResponseHead, type ResponseHead } from './response-head';

/** Where a connection goes. */
export interface Origin {
  tls: boolean;
  host: string;
  port: number;
}

export const originKey = (o: Origin): string => `${o.tls ? 'https' : 'http'}://${o.host}:${o.port}`;

/** A response read whole: its head and its body in one buffer of exactly its Content-Length. */
export interface WholeResponse {
  head: ResponseHead;
  body: Buffer;
}

/** The response is not framed by Content-Length (chunked, or read to the close): the caller sends the request another way. */
export const UNFRAMED = Symbol('unframed');

/** A failed exchange; `beforeResponse` when not one byte of the response had come (a stale keep-alive connection looks like that). */
export class ExchangeError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly beforeResponse: boolean,
  ) {
    super(message);
    this.name = code === 'ETIMEDOUT' ? 'TimeoutError' : 'Error';
  }
}

interface Exchange {
  method: string;
  gotBytes: boolean;
  head?: ResponseHead;
  body?: Buffer;
  at: number;
  settle(result: WholeResponse | typeof UNFRAMED | ExchangeError): void;
}

const HEAD_BYTES = 16 * 1024;

/**
 * One keep-alive HTTP/1.1 connection that reads each response's body straight into a buffer of
 * the body's size (the socket's `onread` buffer is that buffer's unfilled part): no 64 KiB
 * buffer per read for the GC to find, no pieces to concatenate. Only the head passes through
 * a small buffer of the connection's own.
 */
export class BodyConnection {
  readonly socket: net.Socket;
  /** responses this connection has completed */
  served = 0;
  closed = false;
  private readonly headBuf = Buffer.allocUnsafe(HEAD_BYTES);
  private headLen = 0;
  private ex: Exchange | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly idleMs: number;
  private readonly onReusable: (c: BodyConnection) => void;
  private alloc: (length: number) => Buffer = (n) => Buffer.allocUnsafe(n);

  constructor(
    readonly origin: Origin,
    opts: {
      connectionTimeoutMs: number;
      idleMs: number;
      /** extra TLS settings (a private CA); the defaults trust what Node trusts, NODE_EXTRA_CA_CERTS included */
      tls?: tls.ConnectionOptions;
      onReusable: (c: BodyConnection) => void;
      onClosed: (c: BodyConnection) => void;
    },
  ) {
    this.idleMs = opts.idleMs;
    this.onReusable = opts.onReusable;
    const onread: net.OnReadOpts = { buffer: () => this.nextBuffer(), callback: (n) => this.onBytes(n) };
    // tls.connect takes net's socket options too (onread included), its types do not say so
    this.socket = origin.tls
      ? tls.connect({
          host: origin.host,
          port: origin.port,
          servername: net.isIP(origin.host) ? undefined : origin.host,
          ALPNProtocols: ['http/1.1'],
          ...opts.tls,
          ...({ onread } as tls.ConnectionOptions),
        })
      : net.connect({ host: origin.host, port: origin.port, onread });
    this.socket.setNoDelay(true);
    this.connectTimer = setTimeout(
      () => this.socket.destroy(new ExchangeError(`no connection to ${originKey(origin)} within ${opts.connectionTimeoutMs} ms`, 'ETIMEDOUT', true)),
      opts.connectionTimeoutMs,
    );
    this.socket.once(origin.tls ? 'secureConnect' : 'connect', () => clearTimeout(this.connectTimer));
    this.socket.on('timeout', () => {
      if (this.ex) this.fail(new ExchangeError(`no bytes from ${originKey(origin)} for ${this.socket.timeout} ms`, 'ETIMEDOUT', !this.ex.gotBytes));
      else this.socket.destroy();
    });
    this.socket.on('error', (err: NodeJS.ErrnoException) =>
      this.fail(err instanceof ExchangeError ? err : new ExchangeError(err.message, err.code ?? 'ECONNRESET', !this.ex?.gotBytes)),
    );
    this.socket.on('close', () => {
      clearTimeout(this.connectTimer);
      this.closed = true;
      this.fail(new ExchangeError(`${originKey(origin)} closed the connection before the response ended`, 'ECONNRESET', !this.ex?.gotBytes));
      opts.onClosed(this);
    });
  }

  /** Sends one request (its whole head, no body) and resolves with the response read whole. */
  exchange(
    requestHead: string,
    method: string,
    timeoutMs: number,
    alloc: (length: number) => Buffer,
    signal?: AbortSignal,
  ): Promise<WholeResponse | typeof UNFRAMED> {
    if (this.ex) throw new Error('BodyConnection.exchange: a request is already outstanding');
    return new Promise((resolve, reject) => {
      const onAbort = () => this.fail(new ExchangeError('request aborted', 'ABORT_ERR', !this.ex?.gotBytes));
      this.ex = {
        method,
        gotBytes: false,
        at: 0,
        settle: (result) => {
          signal?.removeEventListener('abort', onAbort);
          if (result instanceof ExchangeError) reject(result);
          else resolve(result);
        },
      };
      this.alloc = alloc;
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.socket.ref();
      this.socket.setTimeout(timeoutMs);
      this.socket.write(requestHead, 'latin1');
    });
  }

  private nextBuffer(): Uint8Array {
    const ex = this.ex;
    if (ex?.body && ex.at < ex.body.length) return ex.body.subarray(ex.at);
    return this.headBuf.subarray(this.headLen);
  }

  /** Always true: reading never pauses (a body's buffer is its whole size). */
  private onBytes(n: number): boolean {
    this.take(n);
    return true;
  }

  private take(n: number): void {
    const ex = this.ex;
    if (!ex) {
      this.socket.destroy(new ExchangeError(`${originKey(this.origin)} sent bytes with no request outstanding`, 'EPROTO', false));
      return;
    }
    ex.gotBytes = true;
    if (ex.body) {
      ex.at += n;
    } else {
      const before = this.headLen;
      this.headLen += n;
      const end = headEnd(this.headBuf, this.headLen, before);
      if (end < 0) {
        if (this.headLen === HEAD_BYTES)
          this.fail(new ExchangeError(`response head from ${originKey(this.origin)} is larger than ${HEAD_BYTES} bytes`, 'EPROTO', false));
        return;
      }
      let head: ResponseHead;
      try {
        head = parseResponseHead(this.headBuf.toString('latin1', 0, end - 4), ex.method);
      } catch (err) {
        this.fail(new ExchangeError(`${originKey(this.origin)}: ${(err as Error).message}`, 'EPROTO', false));
        return;
      }
      if (head.bodyLength === undefined || head.statusCode < 200) {
        // not ours to read: this connection is given up, the caller asks another way
        this.settle(UNFRAMED);
        this.socket.destroy();
        return;
      }
      const early = this.headLen - end;
      if (early > head.bodyLength) {
        this.fail(new ExchangeError(`${originKey(this.origin)} sent more bytes than its Content-Length`, 'EPROTO', false));
        return;
      }
      ex.head = head;
      ex.body = head.bodyLength === 0 ? Buffer.alloc(0) : this.alloc(head.bodyLength);
      this.headBuf.copy(ex.body, 0, end, this.headLen);
      ex.at = early;
      this.headLen = 0;
    }
    if (ex.at === ex.body.length && ex.head) {
      const whole = { head: ex.head, body: ex.body };
      this.served++;
      this.settle(whole);
      if (!whole.head.keepAlive) this.socket.destroy();
      else {
        this.socket.setTimeout(this.idleMs);
        this.socket.unref();
        this.onReusable(this);
      }
    }
  }

  private settle(result: WholeResponse | typeof UNFRAMED | ExchangeError): void {
    const ex = this.ex;
    this.ex = undefined;
    this.headLen = 0;
    ex?.settle(result);
  }

  /** Ends the outstanding exchange with `err`; the connection cannot be trusted with another. */
  private fail(err: ExchangeError): void {
    if (this.ex) this.settle(err);
    if (!this.socket.destroyed) this.socket.destroy();
  }
}
