import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAction, runCommandAction } from '../../src/failover/actions';
import { parseSite } from '../../src/failover/site-schema';
import { startModelServerProcess, writeLinearModel, type ModelServerProcess } from '../helpers/model-server';
import { freePort } from '../helpers/nginx';

describe('fence and unfence actions', () => {
  let dir: string;
  let server: ModelServerProcess;
  let sha: string;
  let hang: http.Server;
  let hangUrl: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-actions-'));
    sha = writeLinearModel(path.join(dir, 'model.json'), [0.5, 0.25]);
    server = await startModelServerProcess({ model: path.join(dir, 'model.json'), name: 'primary' });
    // accepts connections and never answers
    hang = http.createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    hangUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
  });
  after(async () => {
    await server?.stop();
    hang?.closeAllConnections();
    await new Promise((r) => hang?.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('HTTP fence makes the model server refuse traffic; unfence restores it', async () => {
    const site = parseSite({
      name: 's',
      primary: {
        fence: { type: 'http', url: `${server.url}/admin/fence`, timeoutMs: 2000 },
        unfence: { type: 'http', method: 'POST', url: `${server.url}/admin/unfence`, body: { reason: 'failback' }, timeoutMs: 2000 },
      },
      standby: {},
      switcher: { type: 'http', url: 'http://lb/x', body: '{}' },
      objectives: { rtoSeconds: 1, rpoSeconds: 1 },
    });
    const f = await runAction(site.primary.fence!);
    assert.equal(f.ok, true, f.error);
    assert.equal(f.status, 200);
    assert.match(f.outputTail, /"fenced":true/);
    let h = await fetch(`${server.url}/health`);
    assert.equal(h.status, 503);
    assert.equal(await h.text(), 'fenced\n');
    assert.equal((await fetch(`${server.url}/predict?x=1`)).status, 503);
    // idempotent
    assert.equal((await runAction(site.primary.fence!)).ok, true);

    const u = await runAction(site.primary.unfence!);
    assert.equal(u.ok, true);
    h = await fetch(`${server.url}/health`);
    assert.equal(h.status, 200);
    assert.equal((await h.text()).trim(), sha);
    const p = (await (await fetch(`${server.url}/predict?x=2,4`)).json()) as { y: number; servedBy: string };
    assert.deepEqual(p, { y: 2, model: sha.slice(0, 12), servedBy: 'primary' });
  });

  it('HTTP failures: wrong status, refused connection, timeout', async () => {
    const notFound = await runAction({ type: 'http', method: 'POST', url: `${server.url}/admin/nope`, headers: {}, timeoutMs: 2000 });
    assert.equal(notFound.ok, false);
    assert.equal(notFound.status, 404);
    assert.match(notFound.error!, /unexpected HTTP status 404 \(expected 2xx\)/);
    const expected = await runAction({ type: 'http', method: 'POST', url: `${server.url}/admin/nope`, headers: {}, expectStatus: [404], timeoutMs: 2000 });
    assert.equal(expected.ok, true);

    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const refused = await runAction({ type: 'http', method: 'POST', url: `${deadUrl}/admin/fence`, headers: {}, timeoutMs: 2000 });
    assert.equal(refused.ok, false);
    assert.match(refused.error!, /ECONNREFUSED/);
    assert.equal(refused.timedOut, false);

    const t0 = performance.now();
    const slow = await runAction({ type: 'http', method: 'POST', url: `${hangUrl}/admin/fence`, headers: {}, timeoutMs: 300 });
    const took = performance.now() - t0;
    assert.equal(slow.ok, false);
    assert.equal(slow.timedOut, true);
    assert.match(slow.error!, /timed out after 300 ms/);
    assert.ok(took >= 250 && took < 2000, `took ${took} ms`);
  });

  it('command actions: exit codes, output tail, cwd and env, no shell', async () => {
    const ok = await runAction({
      type: 'command',
      argv: [process.execPath, '-e', 'console.log(process.cwd(), process.env.FENCE_SITE, process.argv[1])', '$HOME;echo'],
      cwd: dir,
      env: { FENCE_SITE: 'eu' },
      timeoutMs: 10_000,
    });
    assert.equal(ok.ok, true, ok.error);
    assert.equal(ok.exitCode, 0);
    // the argument reached the program verbatim: no shell expansion
    assert.equal(ok.outputTail.trim(), `${fs.realpathSync(dir)} eu $HOME;echo`);

    const bad = await runAction({ type: 'command', argv: [process.execPath, '-e', 'console.error("cannot fence"); process.exit(3)'], timeoutMs: 10_000 });
    assert.equal(bad.ok, false);
    assert.equal(bad.exitCode, 3);
    assert.match(bad.error!, /exit code 3/);
    assert.match(bad.outputTail, /cannot fence/);

    const missing = await runAction({ type: 'command', argv: ['/nonexistent/fence-tool'], timeoutMs: 1000 });
    assert.equal(missing.ok, false);
    assert.match(missing.error!, /cannot run \/nonexistent\/fence-tool: .*ENOENT/);

    const chatty = await runCommandAction(
      { argv: [process.execPath, '-e', 'for (let i = 0; i < 20000; i++) console.log("line " + i)'], timeoutMs: 10_000 },
      { tailBytes: 100 },
    );
    assert.equal(chatty.ok, true);
    assert.ok(chatty.outputTail.length <= 100);
    assert.match(chatty.outputTail, /line 19999\n$/);
  });

  it('command timeout kills the whole process group promptly', async () => {
    const t0 = performance.now();
    // sh starts a child sleep that would hold the pipes open if only sh were killed
    const r = await runAction({ type: 'command', argv: ['sh', '-c', 'echo started; sleep 30; echo never'], timeoutMs: 400 });
    const took = performance.now() - t0;
    assert.equal(r.ok, false);
    assert.equal(r.timedOut, true);
    assert.match(r.error!, /timed out after 400 ms/);
    assert.match(r.outputTail, /started/);
    assert.doesNotMatch(r.outputTail, /never/);
    assert.ok(took < 3000, `took ${took} ms`);
  });

  it('cancellation stops a command', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await runCommandAction({ argv: ['sleep', '30'], timeoutMs: 60_000 }, { signal: ac.signal });
    assert.equal(r.ok, false);
    assert.equal(r.error, 'cancelled');
  });
});
