import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PathPolicy } from '../../src/activities/allowed-paths';
import { S3TargetPolicy } from '../../src/activities/allowed-s3-targets';
import { loadPlanFile, parsePlan } from '../../src/config/load-plan';
import { RestoreInputSchema } from '../../src/contracts/inputs';

const MINIO = 'http://127.0.0.1:9000';
const OTHER = 'http://127.0.0.1:9100';

/**
 * The repository at s3://lake/repo (MINIO), asset "ds" reads s3://lake/datasets (MINIO), a copy
 * target at s3://drx/east (OTHER). S3 roots: s3://serve/models (MINIO, with its own keys),
 * s3://lake (MINIO: the whole bucket, so it would contain the asset's source), s3://drx (OTHER),
 * s3://lake/datasets/scratch (a root the plan put inside the source).
 */
const plan = parsePlan(
  {
    repository: { url: 's3://lake/repo', endpoint: MINIO },
    assets: [{ name: 'ds', source: 's3://lake/datasets', s3: { endpoint: MINIO } }],
    copyTargets: [{ name: 'east', url: 's3://drx/east', endpoint: OTHER }],
    roots: {
      targets: [
        '/srv/restore',
        { url: 's3://serve/models', s3: { endpoint: MINIO, accessKeyIdEnv: 'SERVE_KEY', secretAccessKeyEnv: 'SERVE_SECRET' } },
        { url: 's3://lake', s3: { endpoint: MINIO } },
        { url: 's3://drx', s3: { endpoint: OTHER } },
        { url: 's3://lake/datasets/scratch', s3: { endpoint: MINIO } },
      ],
    },
  },
  '/etc/lepton-dr/plan.yaml',
);
const policy = new S3TargetPolicy(plan);

const refused = (url: string): string => {
  try {
    policy.check(url);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`expected ${url} to be refused`);
};

describe('S3 restore targets: the plan decides which prefixes a workflow starter may replace', () => {
  it('a target under an S3 root is reached with that root connection, the most specific root first', () => {
    assert.equal(policy.check('s3://serve/models/llama-3').accessKeyIdEnv, 'SERVE_KEY');
    assert.equal(policy.check('s3://lake/other/x').endpoint, MINIO);
    assert.equal(policy.check('s3://lake/datasets/scratch/run-9').endpoint, MINIO, 'the plan put a root inside the source');
  });

  it('refuses a prefix outside every S3 root, naming the field and the roots', () => {
    assert.match(
      refused('s3://serve/elsewhere'),
      /^target: s3:\/\/serve\/elsewhere is outside the plan's allowed S3 roots for restore targets \(roots.targets: s3:\/\/serve\/models\//,
    );
    assert.match(refused('s3://unknown/x'), /outside the plan's allowed S3 roots/);
  });

  it('refuses a whole bucket, the repository, a copy target and an asset source (or anything inside or around them)', () => {
    assert.match(refused('s3://lake'), /refusing to restore over the whole bucket lake/);
    assert.match(refused('s3://lake/datasets'), /may not replace the source of asset ds/);
    assert.match(refused('s3://lake/datasets/part'), /may not write inside the source of asset ds/);
    assert.match(refused('s3://drx/east'), /may not replace the copy target east/);
    assert.match(refused('s3://drx/east/x'), /may not write inside the copy target east/);
    assert.match(
      refused('s3://lake/repo'),
      /may not replace the repository \(repository.url\) \(s3:\/\/lake\/repo\/ at http:\/\/127.0.0.1:9000\), admitted by roots.targets.2/,
    );
    assert.match(refused('s3://lake/repo/data'), /may not write inside the repository/);
    // a root on OTHER reaches another store's bucket "drx": the repository's prefix there is free
    policy.check('s3://drx/repo');
  });

  it('folder roots ignore S3 entries, S3 roots ignore folders', () => {
    new PathPolicy(plan).checkTarget('/srv/restore/x');
    assert.match(refused('s3://srv/restore'), /outside the plan's allowed S3 roots/);
  });

  it('a restore input names a folder or an s3:// prefix, never a bucket', () => {
    const issue = (target: string) => {
      const r = RestoreInputSchema.safeParse({ asset: 'ds', target });
      return r.success ? undefined : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    assert.equal(issue('s3://serve/models/x'), undefined);
    assert.equal(issue('/srv/restore'), undefined);
    assert.match(issue('s3://serve') ?? '', /^target: must name a prefix/);
    assert.match(issue('s3://serve/') ?? '', /^target: must name a prefix/);
    assert.match(issue('s3://Bad_Bucket/x') ?? '', /^target: must be s3:\/\/bucket\/prefix with a valid bucket name/);
    assert.match(issue('s3://serve/a/../b') ?? '', /^target: must not contain "\." or "\.\." segments/);
    assert.match(issue('relative/dir') ?? '', /^target: must be an absolute path \(or s3:\/\/bucket\/prefix\)/);
  });
});

it('a plan file keeps an s3:// asset source as written (folders resolve against the plan folder)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-s3plan-'));
  try {
    const f = path.join(dir, 'plan.yaml');
    fs.writeFileSync(f, 'repository: {url: "file:///tmp/r"}\nassets:\n  - {name: ds, source: "s3://lake/datasets"}\n  - {name: m, source: models}\n');
    const p = loadPlanFile(f, {});
    assert.deepEqual(
      p.assets.map((a) => a.source),
      ['s3://lake/datasets', path.join(dir, 'models')],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
