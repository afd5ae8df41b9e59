import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadInputError } from '../../src/common/errors';
import { LOCAL_STACK } from '../../src/config/local-stack';
import type { RepositoryConfig } from '../../src/config/plan-schema';
import { FsStore } from '../../src/engine/store/fs-store';
import { openStore } from '../../src/engine/store/open-store';
import { s3Credentials } from '../../src/worker/s3-credentials';
import { S3Store } from '../../src/engine/store/s3-store';

const repo = (url: string, endpoint?: string): RepositoryConfig => ({
  url,
  endpoint,
  region: 'us-east-1',
  pathStyle: true,
  packSizeMiB: 32,
  pruneMinGraceHours: 1,
  repackBelow: 0.2,
});

describe('openStore', () => {
  it('opens a FsStore for file:// urls', () => {
    const store = openStore(repo('file:///srv/lepton%20repo'), {});
    assert.ok(store instanceof FsStore);
    assert.equal(store.root, '/srv/lepton repo');
  });

  it('opens a S3Store for s3:// urls, with or without a prefix', () => {
    const a = openStore(repo('s3://bucket/some/prefix/', 'http://127.0.0.1:9000'), {});
    assert.ok(a instanceof S3Store);
    assert.equal(a.url, 's3://bucket/some/prefix');
    const b = openStore(repo('s3://bucket'), {});
    assert.ok(b instanceof S3Store);
    assert.equal(b.url, 's3://bucket');
    a.destroy();
    b.destroy();
  });

  it('refuses other schemes', () => {
    assert.throws(() => openStore(repo('http://x/y'), {}), BadInputError);
  });
});

describe('s3Credentials', () => {
  const local = { accessKeyId: LOCAL_STACK.accessKeyId, secretAccessKey: LOCAL_STACK.secretAccessKey };

  it('prefers AWS_* variables from the env', () => {
    const env = { AWS_ACCESS_KEY_ID: 'ak', AWS_SECRET_ACCESS_KEY: 'sk', AWS_SESSION_TOKEN: 'tok' };
    assert.deepEqual(s3Credentials(LOCAL_STACK.s3Endpoint, env), { accessKeyId: 'ak', secretAccessKey: 'sk', sessionToken: 'tok' });
  });

  it('uses the local stack credentials for the local endpoint when the env has none', () => {
    assert.deepEqual(s3Credentials(LOCAL_STACK.s3Endpoint, {}), local);
    assert.deepEqual(s3Credentials('http://localhost:8333/', {}), local);
  });

  it('leaves everything else to the SDK chain', () => {
    assert.equal(s3Credentials(undefined, {}), undefined);
    assert.equal(s3Credentials('https://s3.example.com', {}), undefined);
    assert.equal(s3Credentials(LOCAL_STACK.s3Endpoint, { AWS_PROFILE: 'prod' }), undefined);
  });
});
