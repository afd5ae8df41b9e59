import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BufferedGetHandler, queryString, wholeBodyOf, type SdkHttpRequest } from '../../src/engine/store/buffered-get-handler';
import { parseResponseHead } from '../../src/engine/store/response-head';

type Serve = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A real HTTP server on loopback; counts requests and connections. */
async function httpServer(serve: Serve): Promise<{ port: number; requests: () => number; connections: () => number; close: () => Promise<void> }> {
  let requests = 0;
  let connections = 0;
  const srv = http.createServer((req, res) => {
    requests++;
    serve(req, res);
  });
  srv.keepAliveTimeout = 60_000;
  srv.on('connection', () => connections++);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    requests: () => requests,
    connections: () => connections,
    close: () => {
      srv.closeAllConnections();
      return new Promise((r) => srv.close(() => r()));
    },
  };
}

/** A raw TCP server: `onRequest(socket, n)` answers the n-th request head of a connection. */
async function rawServer(onRequest: (s: net.Socket, n: number) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let seen = '';
    let n = 0;
    s.on('data', (d) => {
      seen += d.toString('latin1');
      while (seen.includes('\r\n\r\n')) {
        seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
        onRequest(s, n++);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => srv.close(() => r()));
    },
  };
}

const get = (port: number, p = '/bucket/key', headers: Record<string, string> = {}, protocol = 'http:'): SdkHttpRequest => ({
  method: 'GET',
  protocol,
  hostname: '127.0.0.1',
  port,
  path: p,
  headers: { host: `127.0.0.1:${port}`, ...headers },
});

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of body) parts.push(p);
  return Buffer.concat(parts);
}

const handler = (opts: ConstructorParameters<typeof BufferedGetHandler>[1] = {}) =>
  new BufferedGetHandler(new NodeHttpHandler({ connectionTimeout: 2000 }), opts);

describe('BufferedGetHandler: GET bodies read straight into one buffer', () => {
  const payload = crypto.randomBytes(3 * 1024 * 1024 + 17);
  let srv: Awaited<ReturnType<typeof httpServer>>;
  let lastHeaders: http.IncomingHttpHeaders = {};
  let lastUrl = '';
  before(async () => {
    srv = await httpServer((req, res) => {
      if (req.url === '/chunked') {
        res.write(payload.subarray(0, 1000));
        res.end(payload.subarray(1000, 5000));
        return;
      }
      if (req.url === '/missing' || req.url?.startsWith('/bucket/missing')) {
        const xml = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>';
        res.writeHead(404, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)) });
        res.end(xml);
        return;
      }
      lastHeaders = req.headers;
      lastUrl = req.url ?? '';
      if (req.url === '/empty') {
        res.writeHead(200, { 'content-length': '0' });
        res.end();
        return;
      }
      const range = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
      const body = range ? payload.subarray(Number(range[1]), Number(range[2]) + 1) : payload;
      res.writeHead(range ? 206 : 200, { 'content-length': String(body.length), etag: '"abc"', 'x-amz-meta-a': 'one' });
      res.end(body);
    });
  });
  after(() => srv.close());

  it('returns the body whole, in a buffer of exactly its length that freeBuffer can free, and reuses the connection', async () => {
    const h = handler();
    const before = srv.connections();
    for (let i = 0; i < 3; i++) {
      const { response } = await h.handle(get(srv.port, '/bucket/key', { range: `bytes=${i * 1000}-${i * 1000 + 999_999}` }));
      assert.equal(response.statusCode, 206);
      assert.equal(response.headers['content-length'], '1000000');
      assert.equal(response.headers.etag, '"abc"');
      const whole = wholeBodyOf(response.body);
      assert.ok(whole, 'the body is the buffer the connection read into');
      assert.equal(whole.byteOffset, 0);
      assert.equal(whole.buffer.byteLength, 1_000_000, 'the buffer spans its memory');
      assert.deepEqual(whole, payload.subarray(i * 1000, i * 1000 + 1_000_000));
      assert.deepEqual(await collect(response.body), whole, 'and the stream gives the same bytes');
    }
    assert.equal(srv.connections() - before, 1, 'three requests, one keep-alive connection');
    const { response } = await h.handle(get(srv.port));
    assert.deepEqual(wholeBodyOf(response.body), payload);
    const empty = await h.handle(get(srv.port, '/empty'));
    assert.equal(empty.response.statusCode, 200);
    assert.equal((await collect(empty.response.body)).length, 0);
    h.destroy();
  });

  it('a chunked response is fetched again through the SDK handler; an error status reaches the SDK with its body', async () => {
    const h = handler();
    const n = srv.requests();
    const { response } = await h.handle(get(srv.port, '/chunked'));
    assert.equal(srv.requests() - n, 2, 'once here, once through NodeHttpHandler');
    assert.equal(wholeBodyOf(response.body), undefined);
    assert.deepEqual(await collect(response.body), payload.subarray(0, 5000));
    const missing = await h.handle(get(srv.port, '/missing'));
    assert.equal(missing.response.statusCode, 404);
    assert.match((await collect(missing.response.body)).toString(), /NoSuchKey/);
    h.destroy();
  });

  it('through the S3 client: signing, the Range header and NoSuchKey work as with the default handler', async () => {
    const s3 = new S3Client({
      endpoint: `http://127.0.0.1:${srv.port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      maxAttempts: 1,
      requestHandler: handler(),
    });
    const res = await s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'a/b c+d', Range: 'bytes=10-2000009' }));
    assert.equal(res.ContentLength, 2_000_000);
    assert.deepEqual(wholeBodyOf(res.Body), payload.subarray(10, 2_000_010));
    assert.equal(res.Metadata?.a, 'one');
    assert.equal(lastUrl.split('?')[0], '/bucket/a/b%20c%2Bd', 'the key is escaped as the SDK escapes it');
    assert.equal(lastHeaders.range, 'bytes=10-2000009');
    assert.match(lastHeaders.authorization ?? '', /^AWS4-HMAC-SHA256 Credential=k\//);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'missing' })), (e: Error) => e.name === 'NoSuchKey');
    s3.destroy();
  });

  it('a keep-alive connection the server dropped while idle is replaced once, unseen by the caller', async () => {
    const body = Buffer.from('hello world');
    let connections = 0;
    const raw = await rawServer((s, n) => {
      if (n === 0) connections++;
      // the second request on a connection finds it closed, as after a server's idle timeout
      if (n === 1) return void s.destroy();
      s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      s.write(body);
    });
    const h = handler();
    for (let i = 0; i < 3; i++) assert.deepEqual(wholeBodyOf((await h.handle(get(raw.port))).response.body), body);
    assert.equal(connections, 3);
    h.destroy();
    await raw.close();
  });

  it('a connection cut inside the body, extra bytes, a silent server or an abort fail the request with a retryable error, never a short body', async () => {
    const cut = await rawServer((s) => {
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n');
      s.end(Buffer.alloc(5000));
    });
    const h = handler({ requestTimeoutMs: 200 });
    await assert.rejects(
      h.handle(get(cut.port)),
      (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET' && /closed the connection before the response ended/.test(e.message),
    );
    await cut.close();

    const extra = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabcdef'));
    await assert.rejects(h.handle(get(extra.port)), /more bytes than its Content-Length/);
    await extra.close();

    const silent = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'));
    await assert.rejects(h.handle(get(silent.port)), (e: Error) => e.name === 'TimeoutError');
    const ctl = new AbortController();
    const pending = h.handle(get(silent.port), { abortSignal: ctl.signal, requestTimeout: 60_000 });
    ctl.abort();
    await assert.rejects(pending, /aborted/);
    await silent.close();

    const garbage = await rawServer((s) => s.write('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    await assert.rejects(h.handle(get(garbage.port)), /not an HTTP\/1.x status line/);
    await garbage.close();
    h.destroy();
  });

  it('keeps to maxSockets connections per origin; the requests beyond wait and all complete', async () => {
    const held: (() => void)[] = [];
    let arrived: () => void = () => undefined;
    const slow = await httpServer((_req, res) => {
      held.push(() => res.end('ok'));
      arrived();
    });
    const h = handler({ maxSockets: 2 });
    const all = Array.from({ length: 5 }, () => h.handle(get(slow.port)));
    let peakHeld = 0;
    for (let served = 0; served < 5; served++) {
      while (held.length === 0) await new Promise<void>((r) => (arrived = r));
      // give any request beyond the limit the chance to arrive before this one is answered
      await new Promise((r) => setTimeout(r, 20));
      peakHeld = Math.max(peakHeld, held.length);
      held.shift()?.();
    }
    const bodies = await Promise.all(all.map(async (p) => (await collect((await p).response.body)).toString()));
    assert.deepEqual(bodies, ['ok', 'ok', 'ok', 'ok', 'ok']);
    assert.equal(peakHeld, 2, 'two requests in flight at once, never more');
    assert.equal(slow.connections(), 2, 'over two connections');
    h.destroy();
    await slow.close();
  });

  it('speaks TLS to an https endpoint', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-bgh-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          'k.pem',
          '-out',
          'c.pem',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { cwd: dir, stdio: 'ignore' },
      );
      const cert = fs.readFileSync(path.join(dir, 'c.pem'));
      const srv = https.createServer({ key: fs.readFileSync(path.join(dir, 'k.pem')), cert }, (_req, res) => {
        res.writeHead(200, { 'content-length': String(payload.length) });
        res.end(payload);
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const port = (srv.address() as net.AddressInfo).port;
      const h = handler({ tls: { ca: cert } });
      assert.deepEqual(wholeBodyOf((await h.handle(get(port, '/b/k', {}, 'https:'))).response.body), payload);
      await assert.rejects(handler().handle(get(port, '/b/k', {}, 'https:')), /self-signed|unable to verify/i, 'an untrusted certificate is refused');
      h.destroy();
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the request and response heads', () => {
  it('writes the query as the SDK signs it', () => {
    assert.equal(queryString({ 'x-id': 'GetObject', a: 'b c', list: ['2', '1'], flag: null, q: "it's" }), 'a=b%20c&flag&list=2&list=1&q=it%27s&x-id=GetObject');
  });

  it('parses status, headers and framing; refuses what is not HTTP/1.x', () => {
    const h = parseResponseHead('HTTP/1.1 206 Partial Content\r\nContent-Length: 12\r\nX-A: 1\r\nx-a: 2\r\nConnection: keep-alive', 'GET');
    assert.equal(h.statusCode, 206);
    assert.equal(h.bodyLength, 12);
    assert.equal(h.headers['x-a'], '1, 2');
    assert.ok(h.keepAlive);
    assert.equal(parseResponseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked', 'GET').bodyLength, undefined);
    assert.equal(parseResponseHead('HTTP/1.1 200 OK', 'GET').bodyLength, undefined, 'read to the close: not length-framed');
    assert.equal(parseResponseHead('HTTP/1.1 204 No Content', 'GET').bodyLength, 0);
    assert.equal(parseResponseHead('HTTP/1.1 200 OK\r\nContent-Length: -1', 'GET').bodyLength, undefined);
    assert.ok(!parseResponseHead('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1', 'GET').keepAlive);
    assert.ok(!parseResponseHead('HTTP/1.0 200 OK\r\nContent-Length: 1', 'GET').keepAlive);
    assert.throws(() => parseResponseHead('HTTP/2 200', 'GET'), /not an HTTP\/1.x status line/);
    assert.throws(() => parseResponseHead('HTTP/1.1 200 OK\r\nno colon here', 'GET'), /malformed response header/);
  });
});
