import http from 'node:http';

/**
 * A stand-in model server for bench/gentle.ts: every request multiplies two N x N float
 * matrices (a small dense layer's worth of CPU) and answers with a checksum of the product.
 * `node latency-server.js N` prints {"port":P} once it listens on 127.0.0.1.
 */
const n = Number(process.argv[2] ?? 96);
const a = Float64Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000);
const b = Float64Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000);
const c = new Float64Array(n * n);

function infer(): number {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
  }
  let sum = 0;
  for (let i = 0; i < c.length; i += n + 1) sum += c[i];
  return sum;
}

const server = http.createServer((_req, res) => {
  const body = JSON.stringify({ y: infer() });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
