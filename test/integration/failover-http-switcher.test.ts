import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createSwitcher } from '../../src/failover/switcher-kinds';
import { HttpSwitcher, type HttpSwitcherSpec } from '../../src/failover/http-switcher';
import { parseSite, type Site } from '../../src/failover/site-schema';
import { SwitchError } from '../../src/failover/switcher';
import { freePort } from '../helpers/nginx';

/** A tiny fake load-balancer admin API: PUT /lb/pools/model {server, side}; GET returns the active one. */
interface FakeLb {
  url: string;
  active: { server: string; side: string };
  calls: { method: string; path: string; body: string; auth?: string }[];
  mode: 'ok' | 'fail' | 'slow' | 'ignore';
  close(): Promise<void>;
}

async function startFakeLb(): Promise<FakeLb> {
  const lb: FakeLb = { url: '', active: { server: '127.0.0.1:1', side: 'primary' }, calls: [], mode: 'ok', close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      lb.calls.push({ method: req.method!, path: req.url!, body, auth: req.headers.authorization });
      const reply = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (req.url === '/lb/pools/model' && req.method === 'GET') return reply(200, { pool: 'model', active: lb.active });
      if (req.url === '/lb/pools/model' && req.method === 'PUT') {
        if (lb.mode === 'fail') return reply(500, { error: 'backend pool locked' });
        if (lb.mode === 'slow') return void setTimeout(() => reply(200, {}), 3000);
        const j = JSON.parse(body) as { server: string; side: string };
        if (lb.mode !== 'ignore') lb.active = j;
        return reply(200, { ok: true });
      }
      reply(404, { error: 'no route' });
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

describe('HTTP switcher against a fake load balancer admin API', () => {
  let lb: FakeLb;
  let site: Site;

  before(async () => {
    lb = await startFakeLb();
    site = parseSite({
      name: 'lb-site',
      primary: { upstream: '10.0.0.1:8000' },
      standby: { upstream: '10.0.0.2:8000' },
      switcher: {
        type: 'http',
        url: `${lb.url}/lb/pools/model`,
        method: 'PUT',
        headers: { authorization: 'Bearer test-token' },
        body: '{"server": "{{upstream}}", "side": "{{side}}"}',
        timeoutMs: 500,
        status: { url: `${lb.url}/lb/pools/model`, field: 'active.server' },
      },
      objectives: { rtoSeconds: 60, rpoSeconds: 600 },
    });
  });
  after(() => lb.close());
  beforeEach(() => {
    lb.active = { server: '10.0.0.1:8000', side: 'primary' };
    lb.calls = [];
    lb.mode = 'ok';
  });

  it('switches to the standby, reads it back, and switches back', async () => {
    const sw = createSwitcher(site);
    assert.equal(sw.kind, 'http');
    assert.equal(await sw.current(), 'primary');
    const r = await sw.switchTo('standby');
    assert.deepEqual([r.side, r.previous, r.changed], ['standby', 'primary', true]);
    assert.match(r.detail, /PUT .*\/lb\/pools\/model -> HTTP 200 .*verified/);
    assert.deepEqual(lb.active, { server: '10.0.0.2:8000', side: 'standby' });
    const put = lb.calls.find((c) => c.method === 'PUT')!;
    assert.deepEqual(JSON.parse(put.body), { server: '10.0.0.2:8000', side: 'standby' });
    assert.equal(put.auth, 'Bearer test-token');
    assert.equal(await sw.current(), 'standby');

    const again = await sw.switchTo('standby');
    assert.equal(again.changed, false);
    assert.equal(await sw.current(), 'standby');

    const back = await sw.switchTo('primary');
    assert.deepEqual([back.side, back.previous, back.changed], ['primary', 'standby', true]);
    assert.deepEqual(lb.active, { server: '10.0.0.1:8000', side: 'primary' });
  });

  it('reads the side by name too, and "unknown" for anything else', async () => {
    const bySide = new HttpSwitcher(
      { ...(site.switcher as HttpSwitcherSpec), status: { url: `${lb.url}/lb/pools/model`, field: 'active.side', headers: {}, timeoutMs: 500 } },
      site,
    );
    assert.equal(await bySide.current(), 'primary');
    lb.active = { server: '10.9.9.9:1', side: 'elsewhere' };
    assert.equal(await createSwitcher(site).current(), 'unknown');
    const noStatus = new HttpSwitcher({ ...(site.switcher as HttpSwitcherSpec), status: undefined }, site);
    assert.equal(await noStatus.current(), 'unknown');
    const r = await noStatus.switchTo('standby');
    assert.equal(r.previous, 'unknown');
    assert.doesNotMatch(r.detail, /verified/);
  });

  it('fails with SwitchError when the admin API refuses', async () => {
    lb.mode = 'fail';
    await assert.rejects(
      createSwitcher(site).switchTo('standby'),
      (e: unknown) => e instanceof SwitchError && /unexpected HTTP status 500/.test(e.message) && /backend pool locked/.test(e.message),
    );
    assert.equal(lb.active.side, 'primary');
  });

  it('fails when the admin API accepts but the status does not follow', async () => {
    lb.mode = 'ignore';
    await assert.rejects(createSwitcher(site).switchTo('standby'), /accepted the switch to standby but reports "primary"/);
  });

  it('times out a hanging admin API', async () => {
    lb.mode = 'slow';
    const t0 = performance.now();
    await assert.rejects(createSwitcher(site).switchTo('standby'), /timed out after 500 ms/);
    assert.ok(performance.now() - t0 < 2500);
  });

  it('fails cleanly when nothing listens', async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const dead = new HttpSwitcher({ ...(site.switcher as HttpSwitcherSpec), url: `${deadUrl}/lb`, status: undefined }, site);
    await assert.rejects(dead.switchTo('standby'), /ECONNREFUSED/);
  });
});
