import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { BadInputError } from '../../src/common/errors';
import { drillTargetDir, findSite, parseSite, parseSites, resolveSitePaths } from '../../src/failover/site-schema';

const EXAMPLE = path.join(__dirname, '..', '..', '..', 'src', 'failover', 'site.example.yaml');

/** A small valid site; tests break one field at a time. */
function site(): Record<string, unknown> {
  return {
    name: 'eu',
    primary: {
      upstream: '127.0.0.1:9101',
      health: [{ url: 'http://127.0.0.1:9101/health' }],
      fence: { type: 'http', url: 'http://127.0.0.1:9101/admin/fence' },
      unfence: { type: 'http', url: 'http://127.0.0.1:9101/admin/unfence' },
    },
    standby: {
      upstream: '127.0.0.1:9102',
      restore: [{ asset: 'model', targetDir: 'standby/model' }],
      health: [{ url: 'http://127.0.0.1:9102/health', bodyEqualsSha256Of: { asset: 'model', path: 'model.json' } }],
    },
    switcher: { type: 'file-reload', file: 'upstream.conf', template: 'upstream m { server {{upstream}}; }', reload: { argv: ['nginx', '-s', 'reload'] } },
    objectives: { rtoSeconds: 300, rpoSeconds: 3600 },
  };
}

function refusal(raw: unknown): string {
  try {
    parseSite(raw, { where: 'plan.yaml: sites.0' });
  } catch (e) {
    assert.ok(e instanceof BadInputError, `expected BadInputError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected a refusal');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests reach into arbitrary nested fields
function edit(f: (s: any) => void): Record<string, unknown> {
  const s = site();
  f(s);
  return s;
}

describe('failover site schema', () => {
  it('parses the documented example', () => {
    const raw = YAML.parse(fs.readFileSync(EXAMPLE, 'utf8'));
    const s = parseSite(raw, { assets: ['model'] });
    assert.equal(s.name, 'inference-eu');
    assert.equal(s.switcher.type, 'file-reload');
    assert.equal(s.approval.timeoutMs, 15 * 60_000);
    assert.deepEqual(s.standby.health[0].bodyEqualsSha256Of, { asset: 'model', path: 'model.json' });
    assert.equal(s.standby.fence?.type, 'command');
  });

  it('applies defaults', () => {
    const s = parseSite(site());
    const h = s.primary.health[0];
    assert.equal(h.expectStatus, 200);
    assert.equal(h.method, 'GET');
    assert.equal(h.timeoutMs, 2000);
    assert.equal(h.withinMs, 30_000);
    assert.deepEqual(s.approval, { required: true, timeoutMs: 900_000, onTimeout: 'abort' });
    assert.equal(s.primary.fence?.type === 'http' && s.primary.fence.method, 'POST');
    assert.equal(s.primary.fence?.timeoutMs, 10_000);
    assert.deepEqual(s.trafficChecks, []);
    assert.equal(s.drill, undefined);
  });

  it('accepts approval timeouts as durations or milliseconds', () => {
    assert.equal(parseSite(edit((s) => (s.approval = { timeout: '90s', onTimeout: 'proceed' }))).approval.timeoutMs, 90_000);
    assert.equal(parseSite(edit((s) => (s.approval = { timeout: 1500 }))).approval.timeoutMs, 1500);
    assert.match(refusal(edit((s) => (s.approval = { timeout: '15 minutes' }))), /approval\.timeout: must be milliseconds or a duration/);
    assert.match(refusal(edit((s) => (s.approval = { onTimeout: 'retry' }))), /approval\.onTimeout: .*'abort' \| 'proceed'/);
  });

  it('names the missing field', () => {
    assert.match(refusal(edit((s) => delete s.objectives)), /^invalid plan\.yaml: sites\.0: objectives: Required/);
    assert.match(refusal(edit((s) => delete s.standby)), /standby: Required/);
    assert.match(refusal(edit((s) => (s.objectives = { rtoSeconds: 0, rpoSeconds: 60 }))), /objectives\.rtoSeconds: Number must be greater than 0/);
    assert.match(refusal(edit((s) => (s.name = 'bad name!'))), /name: must be letters, digits/);
  });

  it('refuses unknown keys (typos) at every level', () => {
    assert.match(refusal(edit((s) => (s.switchr = {}))), /Unrecognized key\(s\) in object: 'switchr'/);
    assert.match(refusal(edit((s) => (s.primary.health[0].expectedStatus = 200))), /primary\.health\.0: Unrecognized key\(s\) in object: 'expectedStatus'/);
    // keys owned by other modules are allowed
    assert.doesNotThrow(() => parseSite(edit((s) => (s.prediction = { metrics: [] }))));
  });

  it('refuses an unknown action or switcher type with the choices', () => {
    assert.match(
      refusal(edit((s) => (s.primary.fence = { type: 'ssh', host: 'x' }))),
      /primary\.fence\.type: must be an action with type 'http' .* or 'command'/,
    );
    assert.match(refusal(edit((s) => (s.switcher = { type: 'dns' }))), /switcher\.type: must be a switcher with type 'http' .* or 'file-reload'/);
    assert.match(refusal(edit((s) => (s.primary.fence = { type: 'command', argv: [] }))), /primary\.fence\.argv: must name the program to run/);
    assert.match(refusal(edit((s) => (s.primary.fence = { type: 'http', url: 'ftp://x/y' }))), /primary\.fence\.url: must be an http:\/\/ or https:\/\/ URL/);
    assert.match(refusal(edit((s) => (s.primary.fence = { type: 'http', url: 'http://x/', timeoutMs: -1 }))), /primary\.fence\.timeoutMs/);
  });

  it('refuses contradictory body expectations', () => {
    const m = refusal(edit((s) => (s.standby.health[0].bodyEquals = 'abc')));
    assert.match(m, /standby\.health\.0\.bodyEqualsSha256Of: give at most one of "bodyEquals" or "bodyEqualsSha256Of"/);
  });

  it('refuses a snapshot checksum of an asset the side does not restore', () => {
    const m = refusal(edit((s) => (s.standby.health[0].bodyEqualsSha256Of = { asset: 'dataset', path: 'x' })));
    assert.match(m, /standby\.health\.0\.bodyEqualsSha256Of\.asset: asset "dataset" is not in standby\.restore \(model\)/);
    const t = refusal(edit((s) => (s.trafficChecks = [{ url: 'http://127.0.0.1:8080/health', bodyEqualsSha256Of: { asset: 'other', path: 'm' } }])));
    assert.match(t, /trafficChecks\.0\.bodyEqualsSha256Of\.asset/);
    assert.match(
      refusal(edit((s) => (s.standby.health[0].bodyEqualsSha256Of.path = '../etc/passwd'))),
      /bodyEqualsSha256Of\.path: must be a relative path without "\.\."/,
    );
  });

  it('refuses duplicate restore targets and identical upstreams', () => {
    assert.match(
      refusal(edit((s) => s.standby.restore.push({ asset: 'model', targetDir: '/x' }))),
      /standby\.restore\.1\.asset: asset "model" is restored twice/,
    );
    assert.match(refusal(edit((s) => (s.standby.upstream = '127.0.0.1:9101'))), /standby\.upstream: must differ from primary\.upstream/);
  });

  it('checks switcher templates', () => {
    assert.match(
      refusal(edit((s) => (s.switcher.template = 'server {{upstreem}};'))),
      /switcher\.template: unknown placeholder\(s\) \{\{upstreem\}\}; use \{\{side\}\}/,
    );
    assert.match(refusal(edit((s) => delete s.primary.upstream)), /primary\.upstream: required: switcher\.template uses an upstream placeholder/);
    assert.match(refusal(edit((s) => (s.switcher.templateFile = 'x.tpl'))), /switcher\.template: give exactly one of "template" or "templateFile"/);
    assert.match(refusal(edit((s) => delete s.switcher.reload)), /switcher\.reload: Required/);
    const http = { type: 'http', url: 'http://lb/admin/{{site}}', body: '{"server":"{{upstream}}"}' };
    assert.match(refusal(edit((s) => (s.switcher = http))), /switcher\.url: unknown placeholder\(s\) \{\{site\}\}/);
    const ok = parseSite(edit((s) => (s.switcher = { ...http, url: 'http://lb/admin/{{side}}' })));
    assert.equal(ok.switcher.type === 'http' && ok.switcher.method, 'PUT');
  });

  it('checks restore assets against the plan and site names for duplicates', () => {
    assert.throws(
      () => parseSite(site(), { assets: ['weights'], where: 'p' }),
      /invalid p: standby\.restore\.0\.asset: "model" is not an asset of the plan \(weights\)/,
    );
    assert.throws(() => parseSites([site(), site()], { where: 'plan.yaml' }), /plan\.yaml: sites\.1\.name: duplicate site name "eu"/);
    const sites = parseSites([site()]);
    assert.equal(findSite(sites, 'eu').name, 'eu');
    assert.throws(() => findSite(sites, 'us'), /no site named "us" in the plan \(sites: eu\)/);
  });

  it('resolves relative paths against the plan directory', () => {
    const s = parseSite(
      edit((x) => (x.drill = { targetDir: 'drill' })),
      { baseDir: '/etc/lepton' },
    );
    assert.equal(s.standby.restore[0].targetDir, '/etc/lepton/standby/model');
    assert.equal(s.switcher.type === 'file-reload' && s.switcher.file, '/etc/lepton/upstream.conf');
    assert.equal(drillTargetDir(s, 'model'), '/etc/lepton/drill/model');
    const abs = resolveSitePaths(parseSite(edit((x) => (x.standby.restore[0].targetDir = '/srv/m'))), '/etc');
    assert.equal(abs.standby.restore[0].targetDir, '/srv/m');
    assert.throws(() => drillTargetDir(parseSite(site()), 'model'), /drills need a "drill\.targetDir"/);
  });
});
