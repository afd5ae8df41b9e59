import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssetSchema } from '../../src/config/plan-schema';
import { openS3Location } from '../../src/engine/source/s3-location';

const issues = (v: unknown) => {
  const r = AssetSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

test('an asset may have an s3:// source with its own connection, credentials by env name', () => {
  const ok = AssetSchema.parse({
    name: 'ds',
    source: 's3://datasets/run-1',
    s3: { endpoint: 'http://127.0.0.1:9000', accessKeyIdEnv: 'DS_KEY', secretAccessKeyEnv: 'DS_SECRET' },
  });
  assert.equal(ok.s3?.region, 'us-east-1');
  assert.equal(ok.s3?.pathStyle, true);
  assert.deepEqual(issues({ name: 'ds', source: '/data', s3: {} }), ['s3: only for a source of the form s3://bucket/prefix']);
  assert.deepEqual(issues({ name: 'ds', source: 's3://A_bad/x' }), ['source: must be s3://bucket[/prefix] with a valid bucket name']);
  assert.deepEqual(issues({ name: 'ds', source: 's3://datasets', s3: { accessKeyIdEnv: 'K' } }), [
    's3.secretAccessKeyEnv: accessKeyIdEnv and secretAccessKeyEnv go together',
  ]);
  assert.match(
    issues({ name: 'ds', source: 's3://datasets', s3: { accessKeyIdEnv: 'not a name', secretAccessKeyEnv: 'S' } })[0],
    /^s3\.accessKeyIdEnv: must be the name of an environment variable/,
  );
  assert.match(issues({ name: 'ds', source: 's3://datasets', s3: { secretAccessKey: 'inline' } })[0], /^s3: Unrecognized key/);
});

test('credentials named by env must be in the worker env, and the message names the field', () => {
  assert.throws(
    () => openS3Location('s3://datasets/x', { accessKeyIdEnv: 'DS_KEY', secretAccessKeyEnv: 'DS_SECRET' }, { DS_SECRET: 's' }),
    /source\.accessKeyIdEnv: the worker's environment has no DS_KEY/,
  );
  const loc = openS3Location('s3://datasets/a/b', { accessKeyIdEnv: 'DS_KEY', secretAccessKeyEnv: 'DS_SECRET' }, { DS_KEY: 'k', DS_SECRET: 's' });
  assert.equal(loc.bucket, 'datasets');
  assert.equal(loc.prefix, 'a/b/');
  loc.client.destroy();
});
