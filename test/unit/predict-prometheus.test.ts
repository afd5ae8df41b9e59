import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusError, queryRange, seriesId } from '../../src/predict/sources/prometheus';
import { BadInputError } from '../../src/common/errors';

async function withServer(handler: (req: IncomingMessage, res: ServerResponse) => void, fn: (url: string) => Promise<void>): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    await fn(`http://127.0.0.1:${port}/prom`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

test('query_range: samples per series, long ranges split, special values kept', async () => {
  const calls: URLSearchParams[] = [];
  await withServer(
    (req, res) => {
      const u = new URL(req.url!, 'http://x');
      assert.equal(u.pathname, '/prom/api/v1/query_range');
      assert.equal(req.headers['x-scope-orgid'], 'tenant');
      calls.push(u.searchParams);
      const start = Number(u.searchParams.get('start'));
      const end = Number(u.searchParams.get('end'));
      const values: Array<[number, string]> = [];
      for (let t = start; t <= end; t += 60) values.push([t, t === 120 ? 'NaN' : t === 180 ? '+Inf' : String(t / 60)]);
      json(res, 200, {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            { metric: { __name__: 'node_load1', instance: 'b:9100' }, values },
            { metric: { __name__: 'node_load1', instance: 'a:9100', job: 'node' }, values: values.slice(0, 1) },
          ],
        },
      });
    },
    async (url) => {
      const series = await queryRange(
        { url, headers: { 'X-Scope-OrgID': 'tenant' }, maxPointsPerRequest: 3 },
        { query: 'node_load1', start: 0, end: 300_000, stepMs: 60_000 },
      );
      assert.equal(calls.length, 2, 'split into requests of at most 3 points');
      assert.equal(calls[0]!.get('step'), '60s');
      assert.deepEqual(
        series.map((s) => s.id),
        ['node_load1{instance="a:9100",job="node"}', 'node_load1{instance="b:9100"}'],
      );
      const b = series[1]!.samples;
      assert.deepEqual(
        b.map((s) => s.t),
        [0, 60_000, 120_000, 180_000, 240_000, 300_000],
      );
      assert.ok(Number.isNaN(b[2]!.v));
      assert.equal(b[3]!.v, Infinity);
      assert.equal(b[5]!.v, 5);
    },
  );
});

test('query_range: errors are typed (bad query, server error, malformed body, timeout)', async () => {
  await withServer(
    (req, res) => {
      const q = new URL(req.url!, 'http://x').searchParams.get('query');
      if (q === 'bad(') return json(res, 400, { status: 'error', errorType: 'bad_data', error: 'parse error' });
      if (q === 'boom') return json(res, 503, { status: 'error', errorType: 'unavailable', error: 'down' });
      if (q === 'weird') return json(res, 200, { status: 'success', data: { resultType: 'vector', result: [] } });
      if (q === 'slow') return void setTimeout(() => json(res, 200, {}), 2000);
      json(res, 200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    },
    async (url) => {
      const q = (query: string) => queryRange({ url, timeoutMs: 200 }, { query, start: 0, end: 60_000, stepMs: 60_000 });
      await assert.rejects(q('bad('), (e: Error) => e instanceof BadInputError && /parse error/.test(e.message));
      await assert.rejects(q('boom'), PrometheusError);
      await assert.rejects(q('weird'), (e: Error) => e instanceof PrometheusError && /unexpected response/.test(e.message));
      await assert.rejects(q('slow'), (e: Error) => e instanceof PrometheusError && /timed out/.test(e.message));
      assert.deepEqual(await q('up'), []);
      await assert.rejects(queryRange({ url }, { query: 'up', start: 10, end: 0, stepMs: 1000 }), BadInputError);
    },
  );
  assert.equal(seriesId({ b: '2', __name__: 'm', a: '1' }), 'm{a="1",b="2"}');
});
