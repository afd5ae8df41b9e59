import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3TargetPolicy } from '../../src/activities/allowed-s3-targets';
import { canonicalEndpoint, sameEndpoint } from '../../src/common/s3-endpoint';
import { parsePlan } from '../../src/config/load-plan';

describe('S3 endpoints compare by what they address, not by how they are spelled', () => {
  it('a trailing slash, upper-case scheme or host, a default port and localhost are the same endpoint', () => {
    const base = 'http://127.0.0.1:8333';
    for (const e of ['http://127.0.0.1:8333/', 'HTTP://127.0.0.1:8333', 'http://127.0.0.1:8333//', ' http://localhost:8333 ']) {
      assert.ok(sameEndpoint(base, e), `${e} is ${base}`);
    }
    assert.ok(sameEndpoint('http://s3.local', 'http://S3.LOCAL:80/'));
    assert.ok(sameEndpoint('https://s3.example.com:443', 'HTTPS://s3.example.com'));
    assert.equal(canonicalEndpoint('HTTPS://S3.Example.com:443/'), 'https://s3.example.com');
  });

  it('a different port, scheme, host or path is another endpoint; no endpoint is the SDK default only', () => {
    assert.ok(!sameEndpoint('http://127.0.0.1:8333', 'http://127.0.0.1:8334'));
    assert.ok(!sameEndpoint('http://s3.local', 'https://s3.local'), 'port 80 and port 443');
    assert.ok(!sameEndpoint('http://s3.local:443', 'https://s3.local'), 'same port, other scheme');
    assert.ok(!sameEndpoint('http://a.local', 'http://b.local'));
    assert.ok(!sameEndpoint('http://gw.local/tenant-a', 'http://gw.local/tenant-b'));
    assert.ok(sameEndpoint(undefined, ''));
    assert.ok(!sameEndpoint(undefined, 'http://127.0.0.1:8333'));
  });

  it('the S3 target policy protects the repository whichever way the root spells its endpoint', () => {
    for (const rootEndpoint of ['http://127.0.0.1:8333/', 'HTTP://127.0.0.1:8333', 'http://localhost:8333']) {
      const plan = parsePlan(
        {
          repository: { url: 's3://lake/repo', endpoint: 'http://127.0.0.1:8333' },
          roots: { targets: [{ url: 's3://lake', s3: { endpoint: rootEndpoint } }] },
        },
        '/etc/lepton-dr/plan.yaml',
      );
      assert.throws(() => new S3TargetPolicy(plan).check('s3://lake/repo/x'), /may not write inside the repository/, rootEndpoint);
    }
  });

  it("a copy target on the repository's endpoint, spelled otherwise, is still the repository itself", () => {
    assert.throws(
      () =>
        parsePlan(
          {
            repository: { url: 's3://main/repo', endpoint: 'http://127.0.0.1:8333' },
            copyTargets: [{ name: 'self', url: 's3://main/repo', endpoint: 'HTTP://127.0.0.1:8333/' }],
          },
          '/etc/lepton-dr/plan.yaml',
        ),
      /copyTargets\.0\.url: is the main repository itself/,
    );
  });
});
