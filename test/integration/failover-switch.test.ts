import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SIDE_PATH, UPSTREAM_TEMPLATE } from '../../src/demo/nginx';
import { FileReloadSwitcher } from '../../src/failover/file-reload-switcher';
import { createSwitcher } from '../../src/failover/switcher-kinds';
import { resolveHealthChecks, restoredFilesResolver, waitUntilHealthy } from '../../src/failover/health';
import { parseSite, type Site } from '../../src/failover/site-schema';
import { SwitchError } from '../../src/failover/switcher';
import { startModelServerProcess, writeLinearModel, type ModelServerProcess } from '../helpers/model-server';
import { nginxAvailable, startTestNginx, type TestNginx } from '../helpers/nginx';
import { get } from '../helpers/load';

interface LoadStats {
  requests: number;
  failed: number;
  /** Requests retried once because a reused keep-alive socket was closed under them. */
  retried: number;
  errors: string[];
  servedBy: Record<string, number>;
  /** [ms since loop start, served by] of every response. */
  timeline: [number, string][];
}

/** A steady sequential request loop on loopback, bounded by count and time. */
async function loadLoop(url: string, o: { keepAlive: boolean; maxRequests: number; maxMs: number; stop: () => boolean }): Promise<LoadStats> {
  const agent = new http.Agent({ keepAlive: o.keepAlive, maxSockets: 1 });
  const s: LoadStats = { requests: 0, failed: 0, retried: 0, errors: [], servedBy: {}, timeline: [] };
  const t0 = performance.now();
  while (!o.stop() && s.requests < o.maxRequests && performance.now() - t0 < o.maxMs) {
    let r = await get(url, agent, 3000);
    if (r.reusedSocketClosed) {
      // HTTP/1.1 keep-alive race: the server may close an idle connection while the client is
      // sending on it (an old nginx worker does exactly this after a reload). A client must
      // retry an idempotent request in that case (RFC 9112 section 9.3.1); browsers, curl and
      // undici do. Once, and only for a reused socket that got no response.
      s.retried++;
      r = await get(url, agent, 3000);
    }
    s.requests++;
    if (r.status !== 200) {
      s.failed++;
      if (s.errors.length < 10) s.errors.push(r.error ?? `HTTP ${r.status}`);
    } else {
      s.servedBy[r.by!] = (s.servedBy[r.by!] ?? 0) + 1;
      s.timeline.push([performance.now() - t0, r.by!]);
    }
  }
  agent.destroy();
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('file+reload switcher with a real nginx', { skip: nginxAvailable() ? false : 'nginx not installed' }, () => {
  let dir: string;
  let primary: ModelServerProcess;
  let standby: ModelServerProcess;
  let nginx: TestNginx;
  let shaPrimary: string;
  let shaStandby: string;
  let site: Site;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-failover-'));
    shaPrimary = writeLinearModel(path.join(dir, 'primary', 'model.json'), [1, 2, 3], 0.5);
    shaStandby = writeLinearModel(path.join(dir, 'standby', 'model.json'), [3, 2, 1], -0.5);
    [primary, standby] = await Promise.all([
      startModelServerProcess({ model: path.join(dir, 'primary', 'model.json'), name: 'primary' }),
      startModelServerProcess({ model: path.join(dir, 'standby', 'model.json'), name: 'standby' }),
    ]);
    nginx = await startTestNginx(`127.0.0.1:${primary.port}`);
    site = parseSite({
      name: 'test-site',
      primary: {
        upstream: `127.0.0.1:${primary.port}`,
        restore: [{ asset: 'model', targetDir: path.join(dir, 'primary') }],
        health: [{ url: `${primary.url}/health`, bodyEqualsSha256Of: { asset: 'model', path: 'model.json' } }],
      },
      standby: {
        upstream: `127.0.0.1:${standby.port}`,
        restore: [{ asset: 'model', targetDir: path.join(dir, 'standby') }],
        health: [{ url: `${standby.url}/health`, bodyEqualsSha256Of: { asset: 'model', path: 'model.json' } }],
      },
      switcher: {
        type: 'file-reload',
        file: nginx.paths.upstream,
        template: UPSTREAM_TEMPLATE,
        check: { argv: nginx.testArgv, timeoutMs: 10_000 },
        reload: { argv: nginx.reloadArgv, timeoutMs: 10_000 },
        confirm: { url: `${nginx.url}${SIDE_PATH}`, bodyEquals: '{{side}}', intervalMs: 5, withinMs: 10_000 },
        settleMs: 250,
      },
      trafficChecks: [
        { name: 'entry-point', url: `${nginx.url}/health`, bodyEqualsSha256Of: { asset: 'model', path: 'model.json' }, intervalMs: 5, withinMs: 10_000 },
      ],
      objectives: { rtoSeconds: 60, rpoSeconds: 3600 },
    });
  });

  after(async () => {
    await nginx?.cleanup();
    await Promise.all([primary?.stop(), standby?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('recognises the initial config as primary before any state exists', async () => {
    const sw = createSwitcher(site);
    assert.equal(sw.kind, 'file-reload');
    assert.equal(await sw.current(), 'primary');
    const r = await fetch(`${nginx.url}/health`);
    assert.equal((await r.text()).trim(), shaPrimary);
  });

  it('switches to the standby and back under steady traffic without a failed request', async (t) => {
    const sw = createSwitcher(site);
    const traffic = await resolveHealthChecks(site.trafficChecks, restoredFilesResolver(site.standby.restore));
    assert.equal(traffic[0].bodyEquals, shaStandby);
    // the standby itself is healthy and serves the model the "snapshot" recorded
    const standbyHealth = await waitUntilHealthy(await resolveHealthChecks(site.standby.health, restoredFilesResolver(site.standby.restore)));
    assert.ok(standbyHealth.ok);

    let stop = false;
    const bounds = { maxRequests: 20_000, maxMs: 20_000, stop: () => stop };
    const loopStart = performance.now();
    const loads = Promise.all([
      loadLoop(`${nginx.url}/predict?x=1,2,3`, { ...bounds, keepAlive: true }),
      loadLoop(`${nginx.url}/predict?x=1,2,3`, { ...bounds, keepAlive: false }),
    ]);
    await sleep(400);

    // -> standby
    const t0 = performance.now();
    const toStandby = await sw.switchTo('standby');
    const switchedAt = performance.now();
    assert.equal((await (await fetch(`${nginx.url}${SIDE_PATH}`)).text()).trim(), 'standby', 'nginx runs the new config once switchTo returns');
    const moved = await waitUntilHealthy(traffic);
    const movedAt = performance.now();
    assert.ok(moved.ok, JSON.stringify(moved.results));
    assert.equal(toStandby.side, 'standby');
    assert.equal(toStandby.previous, 'primary');
    assert.equal(toStandby.changed, true);
    assert.equal(await sw.current(), 'standby');
    const state = JSON.parse(fs.readFileSync(`${nginx.paths.upstream}.state.json`, 'utf8')) as { side: string };
    assert.equal(state.side, 'standby');
    assert.match(fs.readFileSync(nginx.paths.upstream, 'utf8'), new RegExp(`server 127\\.0\\.0\\.1:${standby.port};`));

    // idempotent: no rewrite, no reload
    const again = await sw.switchTo('standby');
    assert.equal(again.changed, false);
    await sleep(400);

    // -> primary (failback / compensation)
    const t1 = performance.now();
    const back = await sw.switchTo('primary');
    const backSwitchedAt = performance.now();
    assert.equal((await (await fetch(`${nginx.url}${SIDE_PATH}`)).text()).trim(), 'primary', 'nginx runs the new config once switchTo returns');
    const primaryTraffic = await resolveHealthChecks([{ ...site.trafficChecks[0], bodyEqualsSha256Of: undefined, bodyEquals: shaPrimary }], undefined);
    const movedBack = await waitUntilHealthy(primaryTraffic);
    const movedBackAt = performance.now();
    assert.ok(movedBack.ok);
    assert.equal(back.previous, 'standby');
    assert.equal(await sw.current(), 'primary');
    await sleep(400);
    stop = true;
    const [ka, fresh] = await loads;

    const ms = (x: number) => Math.round(x);
    // How long the old nginx worker kept answering on existing connections after the switch began.
    const lastPrimaryAfter = (s: LoadStats, since: number, until: number) =>
      Math.max(0, ...s.timeline.filter(([at, by]) => at >= since && at < until && by === 'primary').map(([at]) => at - since));
    const figures = {
      switchToStandbyMs: ms(switchedAt - t0),
      trafficOnStandbyMs: ms(movedAt - t0),
      switchBackMs: ms(backSwitchedAt - t1),
      trafficBackOnPrimaryMs: ms(movedBackAt - t1),
      lastPrimaryResponseAfterSwitchMs: {
        keepAlive: ms(lastPrimaryAfter(ka, t0 - loopStart, t1 - loopStart)),
        freshConnections: ms(lastPrimaryAfter(fresh, t0 - loopStart, t1 - loopStart)),
      },
      keepAlive: { requests: ka.requests, failed: ka.failed, retriedAfterKeepAliveClose: ka.retried, servedBy: ka.servedBy, errors: ka.errors },
      freshConnections: { requests: fresh.requests, failed: fresh.failed, retried: fresh.retried, servedBy: fresh.servedBy, errors: fresh.errors },
    };
    t.diagnostic(`figures ${JSON.stringify(figures)}`);

    assert.equal(ka.failed, 0, `keep-alive loop failures: ${ka.errors.join(', ')}`);
    assert.equal(fresh.failed, 0, `fresh-connection loop failures: ${fresh.errors.join(', ')}`);
    assert.equal(fresh.retried, 0);
    // at most one close race per old worker connection and reload (two reloads, one connection)
    assert.ok(ka.retried <= 2, `keep-alive retries: ${ka.retried}`);
    for (const s of [ka, fresh]) {
      assert.ok(s.requests > 50, `too few requests (${s.requests})`);
      assert.ok((s.servedBy.primary ?? 0) > 0 && (s.servedBy.standby ?? 0) > 0, JSON.stringify(s.servedBy));
      // it ended on the primary again
      assert.equal(s.timeline.at(-1)?.[1], 'primary');
    }
  });

  it('a config that fails the check is rolled back and traffic stays put', async () => {
    const bad = new FileReloadSwitcher(
      {
        ...(site.switcher as Extract<Site['switcher'], { type: 'file-reload' }>),
        template: 'upstream model { server {{upstream}} not_a_parameter; }\n',
        stateFile: path.join(dir, 'bad.state.json'),
      },
      site,
    );
    const before = fs.readFileSync(nginx.paths.upstream, 'utf8');
    await assert.rejects(
      bad.switchTo('standby'),
      (e: unknown) => e instanceof SwitchError && /config check failed/.test(e.message) && /previous file restored/.test(e.message),
    );
    assert.equal(fs.readFileSync(nginx.paths.upstream, 'utf8'), before);
    assert.equal(await createSwitcher(site).current(), 'primary');
    const r = await fetch(`${nginx.url}/health`);
    assert.equal((await r.text()).trim(), shaPrimary);
  });

  it('a failing reload command is rolled back too', async () => {
    const spec = site.switcher as Extract<Site['switcher'], { type: 'file-reload' }>;
    const sw = new FileReloadSwitcher(
      { ...spec, check: undefined, reload: { argv: [process.execPath, '-e', 'process.stderr.write("boom"); process.exit(1)'], timeoutMs: 5000 } },
      site,
    );
    const before = fs.readFileSync(nginx.paths.upstream, 'utf8');
    await assert.rejects(sw.switchTo('standby'), /reload failed .* exit code 1; previous file restored; output: boom/);
    assert.equal(fs.readFileSync(nginx.paths.upstream, 'utf8'), before);
    assert.equal(await sw.current(), 'primary');
  });

  it('a config edited behind its back reads as unknown, and switchTo repairs it', async () => {
    const sw = createSwitcher(site);
    const good = fs.readFileSync(nginx.paths.upstream, 'utf8');
    fs.writeFileSync(nginx.paths.upstream, good.replace('keepalive 16;', 'keepalive 8;'));
    assert.equal(await sw.current(), 'unknown');
    const r = await sw.switchTo('primary');
    assert.equal(r.changed, true);
    assert.equal(fs.readFileSync(nginx.paths.upstream, 'utf8'), good);
    assert.equal(await sw.current(), 'primary');
  });
});
