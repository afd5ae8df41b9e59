import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PathPolicy } from '../../src/activities/allowed-paths';
import { parsePlan } from '../../src/config/load-plan';

/**
 * <dir>/repo is a file:// repository, <dir>/data the source of asset "data", <dir>/state the
 * state folder; roots: targets <dir> and <dir>/state/restored, sources <dir>/incoming; site "eu"
 * restores "data" onto the primary (its own source) and onto <dir>/standby/data.
 */
let dir: string;
let policy: PathPolicy;
const savedState = process.env.LEPTON_DR_STATE_DIR;

before(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-roots-')));
  for (const d of ['repo', 'data', 'state', 'incoming', 'standby/data', 'elsewhere']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  process.env.LEPTON_DR_STATE_DIR = path.join(dir, 'state');
  const plan = parsePlan(
    {
      repository: { url: `file://${dir}/repo` },
      assets: [{ name: 'data', source: 'data' }],
      roots: { sources: ['incoming'], targets: ['.', 'state/restored'] },
      sites: [
        {
          name: 'eu',
          primary: { restore: [{ asset: 'data', targetDir: 'data' }] },
          standby: { restore: [{ asset: 'data', targetDir: 'standby/data' }] },
          switcher: { type: 'file-reload', file: 'upstream.conf', template: '{{side}}', reload: { argv: ['true'] } },
          objectives: { rtoSeconds: 60, rpoSeconds: 60 },
        },
      ],
    },
    path.join(dir, 'plan.yaml'),
  );
  policy = new PathPolicy(plan);
});
after(() => {
  if (savedState === undefined) delete process.env.LEPTON_DR_STATE_DIR;
  else process.env.LEPTON_DR_STATE_DIR = savedState;
});

const refused = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('expected a refusal');
};

describe('allowed roots: what a workflow starter may make a worker read or replace', () => {
  it('restore targets under a root, or declared by a site, are allowed', () => {
    policy.checkTarget(path.join(dir, 'restored', 'models'));
    policy.checkTarget(path.join(dir, 'standby', 'data'));
    policy.checkTarget(path.join(dir, 'data')); // failback: the primary's target is its asset's source, the site declares it
    policy.checkTarget(path.join(dir, 'state', 'restored', 'x')); // the plan put a root inside the state folder
  });

  it('a target outside the roots is refused, naming the field and the rule', () => {
    assert.match(
      refused(() => policy.checkTarget('/etc/x')),
      /^target: \/etc\/x is outside the plan's allowed roots for restore targets \(roots\.targets: .*\) and is no site's restore target/,
    );
    assert.match(
      refused(() => policy.checkTarget('/')),
      /refusing to restore onto the root folder/,
    );
  });

  it('a symlink or ".." cannot hide a target outside the roots', () => {
    fs.symlinkSync('/tmp', path.join(dir, 'link'));
    assert.match(
      refused(() => policy.checkTarget(path.join(dir, 'link', 'x'))),
      /outside the plan's allowed roots/,
    );
    assert.match(
      refused(() => policy.checkTarget(path.join(dir, 'restored', '..', '..', 'x'))),
      /outside the plan's allowed roots/,
    );
  });

  it('a target never contains or lies inside the repository, the state folder or an asset source', () => {
    assert.match(
      refused(() => policy.checkTarget(dir)),
      /target \(.*\) contains the repository \(repository\.url\).*: a restore replaces its target, so it may not replace the repository/,
    );
    assert.match(
      refused(() => policy.checkTarget(path.join(dir, 'repo', 'x'))),
      /lies inside the repository \(repository\.url\)/,
    );
    assert.match(
      refused(() => policy.checkTarget(path.join(dir, 'state', 'keys'))),
      /lies inside the state folder/,
    );
    assert.match(
      refused(() => policy.checkTarget(path.join(dir, 'data', 'sub'))),
      /lies inside the source of asset data/,
    );
  });

  it('ad-hoc backup sources lie under roots.sources (or are a standby target, for failback)', () => {
    policy.checkSource(path.join(dir, 'incoming', 'scratch'));
    policy.checkSource(path.join(dir, 'standby', 'data'));
    assert.match(
      refused(() => policy.checkSource('/root/.ssh')),
      /^source: \/root\/\.ssh is outside the plan's allowed roots for ad-hoc backup sources \(roots\.sources: .*incoming\)/,
    );
    assert.match(
      refused(() => policy.checkSource(path.join(dir, 'elsewhere'))),
      /outside the plan's allowed roots/,
    );
  });
});
