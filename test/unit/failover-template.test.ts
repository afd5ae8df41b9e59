import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadInputError } from '../../src/common/errors';
import { predict, parseModel } from '../../src/demo/model-server';
import { renderNginxConf, renderUpstream, UPSTREAM_TEMPLATE } from '../../src/demo/nginx';
import { extractField } from '../../src/failover/http-switcher';
import { switcherVariables } from '../../src/failover/switcher';
import { renderTemplate, templateVariables, unknownTemplateVariables } from '../../src/failover/template';

describe('failover templates', () => {
  it('renders placeholders, with or without inner spaces, repeatedly', () => {
    assert.equal(renderTemplate('{{a}}-{{ b }}-{{a}}', { a: '1', b: '2' }), '1-2-1');
    assert.equal(renderTemplate('no placeholders {x}', {}), 'no placeholders {x}');
  });

  it('lists and refuses unknown placeholders by name', () => {
    assert.deepEqual(templateVariables('{{side}} {{upstream}} {{side}}'), ['side', 'upstream']);
    assert.deepEqual(unknownTemplateVariables('{{side}} {{upstrem}}', ['side', 'upstream']), ['upstrem']);
    assert.throws(
      () => renderTemplate('server {{upstrem}};', { upstream: 'x' }, 'switcher.template'),
      (e: unknown) => e instanceof BadInputError && /switcher\.template: unknown placeholder\(s\) \{\{upstrem\}\}; known: \{\{upstream\}\}/.test(e.message),
    );
  });

  it('switcher variables come from the sides', () => {
    const sides = { primary: { upstream: '10.0.0.1:80', restore: [], health: [] }, standby: { upstream: '10.0.0.2:80', restore: [], health: [] } };
    assert.deepEqual(switcherVariables(sides, 'standby'), {
      side: 'standby',
      upstream: '10.0.0.2:80',
      primaryUpstream: '10.0.0.1:80',
      standbyUpstream: '10.0.0.2:80',
    });
    const body = renderTemplate('{"server":"{{upstream}}","side":"{{side}}"}', switcherVariables(sides, 'primary'));
    assert.deepEqual(JSON.parse(body), { server: '10.0.0.1:80', side: 'primary' });
  });

  it('nginx upstream template and full config stay inside the prefix', () => {
    const up = renderTemplate(UPSTREAM_TEMPLATE, { side: 'standby', upstream: '127.0.0.1:9102' });
    assert.match(up, /upstream model \{\n\s+server 127\.0\.0\.1:9102;/);
    assert.equal(renderUpstream('127.0.0.1:9102', 'standby'), up);
    const conf = renderNginxConf({ prefix: '/tmp/px', port: 18080 });
    assert.match(conf, /^daemon off;$/m);
    assert.match(conf, /listen 127\.0\.0\.1:18080;/);
    assert.match(conf, /include \/tmp\/px\/upstream\.conf;/);
    for (const m of conf.matchAll(/(?:pid|error_log|_temp_path|include)\s+(\/\S+?);?\s/g)) assert.ok(m[1].startsWith('/tmp/px/'), m[1]);
  });

  it('reads status fields for the HTTP switcher', () => {
    assert.equal(extractField('{"active":{"server":"a:1"}}', 'active.server'), 'a:1');
    assert.equal(extractField(' standby\n', undefined), 'standby');
    assert.equal(extractField('not json', 'x'), undefined);
    assert.equal(extractField('{"a":{"b":{}}}', 'a.b'), undefined);
  });

  it('the demo model predicts deterministically from the file bytes', () => {
    const lin = parseModel(Buffer.from('{"weights":[1,2],"bias":0.5}'));
    assert.equal(lin.kind, 'linear-json');
    assert.equal(predict(lin.model, [1, 1, 1]), 0.5 + 1 + 2 + 1);
    const h1 = parseModel(Buffer.from([1, 2, 3]));
    const h2 = parseModel(Buffer.from([1, 2, 3]));
    const h3 = parseModel(Buffer.from([1, 2, 4]));
    assert.equal(h1.kind, 'hash');
    assert.equal(predict(h1.model, [1, 2]), predict(h2.model, [1, 2]));
    assert.notEqual(predict(h1.model, [1, 2]), predict(h3.model, [1, 2]));
  });
});
