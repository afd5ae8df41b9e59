import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveAsset } from '../../src/activities/assets';
import { AssetSchema, PlanSchema } from '../../src/config/plan-schema';

const issues = (v: unknown) => {
  const r = AssetSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

test("an asset's batch setting is refused naming the field when it is not a sensible size", () => {
  const a = { name: 'ds', source: '/data' };
  assert.deepEqual(issues({ ...a, batch: { files: 250, mib: 64 } }), []);
  assert.deepEqual(issues({ ...a, batch: { files: 0 } }), ['batch.files: must be at least 1 file']);
  assert.deepEqual(issues({ ...a, batch: { files: 100_001 } }), ['batch.files: must be at most 100000 files']);
  assert.deepEqual(issues({ ...a, batch: { mib: 1.5 } }), ['batch.mib: must be a whole number of MiB']);
  assert.deepEqual(issues({ ...a, batch: { mib: 5000 } }), ['batch.mib: must be at most 4096 MiB']);
  assert.match(issues({ ...a, batch: { bytes: 1 } })[0], /^batch: Unrecognized key/);
});

test('a backup of a plan asset runs with its batch setting; an ad-hoc one with the engine defaults', () => {
  const plan = PlanSchema.parse({
    repository: { url: 's3://bucket/repo' },
    assets: [{ name: 'ds', source: '/data', batch: { files: 250 } }],
    roots: { sources: ['/scratch'] },
  });
  assert.deepEqual(resolveAsset(plan, { asset: 'ds' }).batch, { files: 250 });
  assert.equal(resolveAsset(plan, { asset: 'adhoc', source: '/scratch/x' }).batch, undefined);
});
