import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BadInputError } from '../../src/common/errors';
import { FileReloadSwitcher, type FileReloadSwitcherSpec } from '../../src/failover/file-reload-switcher';
import { parseSite } from '../../src/failover/site-schema';
import { SwitchError } from '../../src/failover/switcher';

/**
 * A server whose reload is asynchronous, as nginx's is: POST /reload only records that the
 * file should be read again; the test decides when it is applied. GET /side answers with the
 * side of the config it runs.
 */
class AsyncReloadServer {
  running = 'primary';
  /** set: the next /side answers as now, every later one with this side */
  flipBack?: string;
  reloads = 0;
  sideRequests = 0;
  private pending = false;
  private reloaded: (() => void)[] = [];
  private probed: { n: number; resolve: () => void }[] = [];
  private server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/reload') {
      this.reloads++;
      this.pending = true;
      for (const r of this.reloaded.splice(0)) r();
      res.end('ok');
    } else if (req.url === '/side') {
      this.sideRequests++;
      res.end(`${this.running}\n`);
      // an old worker still taking connections after a new one answered
      if (this.flipBack) [this.running, this.flipBack] = [this.flipBack, undefined];
      for (const w of this.probed.filter((p) => this.sideRequests >= p.n)) w.resolve();
    } else res.writeHead(404).end();
  });

  constructor(private readonly file: string) {}

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
  /** Read the file now, as the server's reload would eventually. */
  apply(): void {
    if (!this.pending) throw new Error('no reload requested');
    this.pending = false;
    this.running = /side=(\w+)/.exec(fs.readFileSync(this.file, 'utf8'))![1];
  }
  reloadRequested(): Promise<void> {
    return new Promise((r) => (this.pending ? r() : this.reloaded.push(r)));
  }
  /** Resolves once /side has been asked `more` more times. */
  probedAgain(more: number): Promise<void> {
    return new Promise((resolve) => this.probed.push({ n: this.sideRequests + more, resolve }));
  }
}

describe('file-reload switcher: a switch is done when the server runs the new config, not when the reload command returns', () => {
  let dir: string;
  let server: AsyncReloadServer;
  let url: string;
  const site = {
    name: 'async',
    primary: { upstream: '127.0.0.1:1001' },
    standby: { upstream: '127.0.0.1:1002' },
  } as ConstructorParameters<typeof FileReloadSwitcher>[1];
  const spec = (o: Partial<FileReloadSwitcherSpec> = {}): FileReloadSwitcherSpec => ({
    type: 'file-reload',
    file: path.join(dir, 'upstream.conf'),
    template: 'side={{side}} server={{upstream}}\n',
    reload: {
      argv: [process.execPath, '-e', `fetch(${JSON.stringify(`${url}/reload`)}, { method: 'POST' }).then((r) => process.exit(r.ok ? 0 : 1))`],
      timeoutMs: 10_000,
    },
    confirm: {
      name: 'side',
      url: `${url}/side`,
      method: 'GET',
      headers: {},
      expectStatus: 200,
      bodyEquals: '{{side}}',
      timeoutMs: 2000,
      withinMs: 10_000,
      intervalMs: 5,
    },
    settleMs: 0,
    ...o,
  });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-reload-confirm-'));
    fs.writeFileSync(path.join(dir, 'upstream.conf'), 'side=primary server=127.0.0.1:1001\n');
    server = new AsyncReloadServer(path.join(dir, 'upstream.conf'));
    url = await server.start();
  });
  after(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('switchTo waits for the confirm check: it returns only after the server applied the reload', async () => {
    const sw = new FileReloadSwitcher(spec(), site);
    const switched = sw.switchTo('standby');
    await server.reloadRequested();
    const early = await Promise.race([switched.then(() => 'returned'), server.probedAgain(3).then(() => 'still waiting')]);
    assert.equal(early, 'still waiting', 'switchTo returned while the server still ran the primary config');
    assert.equal(server.running, 'primary');
    server.apply();
    const r = await switched;
    assert.equal(server.running, 'standby', 'when switchTo returns, the server routes to the standby');
    assert.equal(r.changed, true);
    assert.match(r.detail, /confirmed by side in \d+ ms/);
    assert.equal(await sw.current(), 'standby');
  });

  it('a reload that never takes effect fails the switch retryably, records no state, and the next switchTo reloads again', async () => {
    const sw = new FileReloadSwitcher(spec({ confirm: { ...spec().confirm!, withinMs: 200 } }), site);
    const reloadsBefore = server.reloads;
    await assert.rejects(
      sw.switchTo('primary'),
      (e: unknown) =>
        e instanceof SwitchError &&
        /switch to primary: the reload ran but side did not confirm it within 200 ms/.test(e.message) &&
        /differs from expected "primary"/.test(e.message),
    );
    assert.equal(server.running, 'standby');
    assert.equal(await sw.current(), 'unknown', 'file and state disagree until a switch is confirmed');
    const retried = sw.switchTo('primary');
    await server.probedAgain(1);
    server.apply();
    const r = await retried;
    assert.equal(r.changed, true);
    assert.equal(server.reloads, reloadsBefore + 2, 'the retry reloads again');
    assert.equal(server.running, 'primary');
    assert.equal(await sw.current(), 'primary');
  });

  it('with settleMs, a side that answers once and then the old one again is not confirmed', async () => {
    const sw = new FileReloadSwitcher(spec({ settleMs: 30, confirm: { ...spec().confirm!, withinMs: 300 } }), site);
    const was = server.running;
    const other = was === 'primary' ? 'standby' : 'primary';
    const switched = sw.switchTo(other);
    await server.reloadRequested();
    server.apply();
    server.flipBack = was;
    await assert.rejects(switched, (e: unknown) => e instanceof SwitchError && new RegExp(`differs from expected "${other}"`).test(e.message));
    server.running = other;
    server.flipBack = undefined;
  });

  it('the plan refuses a confirm check naming an unknown placeholder or a snapshot file', () => {
    const raw = (confirm: Record<string, unknown>) => ({
      name: 'eu',
      primary: { upstream: '127.0.0.1:9101', health: [{ url: 'http://127.0.0.1:9101/health' }] },
      standby: { upstream: '127.0.0.1:9102', restore: [{ asset: 'model', targetDir: 'standby/model' }], health: [{ url: 'http://127.0.0.1:9102/health' }] },
      switcher: {
        type: 'file-reload',
        file: 'upstream.conf',
        template: 'upstream m { server {{upstream}}; }',
        reload: { argv: ['nginx', '-s', 'reload'] },
        confirm,
      },
      objectives: { rtoSeconds: 300, rpoSeconds: 3600 },
    });
    const refusal = (confirm: Record<string, unknown>) => {
      try {
        parseSite(raw(confirm));
      } catch (e) {
        assert.ok(e instanceof BadInputError);
        return e.message;
      }
      return assert.fail('expected a refusal');
    };
    assert.match(
      refusal({ url: 'http://127.0.0.1:8080/lepton-dr/side', bodyEquals: '{{sde}}' }),
      /switcher\.confirm\.bodyEquals.*unknown placeholder\(s\) \{\{sde\}\}/,
    );
    assert.match(
      refusal({ url: 'http://127.0.0.1:8080/x', bodyEqualsSha256Of: { asset: 'model', path: 'model.json' } }),
      /switcher\.confirm\.bodyEqualsSha256Of.*cannot refer to a snapshot/,
    );
    assert.match(refusal({ bodyEquals: '{{side}}' }), /switcher\.confirm\.url/);
    const ok = parseSite(raw({ url: 'http://127.0.0.1:8080/lepton-dr/side', bodyEquals: '{{side}}' }));
    assert.equal(ok.switcher.type === 'file-reload' && ok.switcher.confirm?.bodyEquals, '{{side}}');
  });
});
