import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { SiteCatalog } from '../../src/failover/site-targets';
import { loadPlanFile } from '../../src/config/load-plan';
import { parsePlanSites } from '../../src/failover/plan-sites';

/** A plan file in a fresh folder: asset "model" from ./primary/model, site "eu" restoring it on both sides. */
function planFile(site: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-plan-sites-'));
  const f = path.join(dir, 'plan.yaml');
  const base = {
    name: 'eu',
    primary: { restore: [{ asset: 'model', targetDir: 'primary/model' }] },
    standby: { restore: [{ asset: 'model', targetDir: 'standby/model' }] },
    switcher: { type: 'file-reload', file: 'upstream.conf', template: 'upstream m { server {{side}}; }', reload: { argv: ['true'] } },
    objectives: { rtoSeconds: 300, rpoSeconds: 3600 },
    drill: { targetDir: 'drill' },
  };
  fs.writeFileSync(
    f,
    YAML.stringify({
      repository: { url: `file://${dir}/repo` },
      assets: [{ name: 'model', source: 'primary/model' }],
      sites: [
        { ...base, ...site },
        { name: 'predict-only', prediction: {} },
      ],
      ...extra,
    }),
  );
  return f;
}

function refusal(f: string): string {
  const plan = loadPlanFile(f);
  assert.throws(() => parsePlanSites(plan, plan.baseDir!), Error);
  try {
    parsePlanSites(plan, plan.baseDir!);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('sites are parsed once, at plan load, with overlap checks', () => {
  it('a valid plan: failover sites parsed, prediction-only sites left to prediction, paths against the plan folder', () => {
    const f = planFile();
    const cwd = process.cwd();
    const env = process.env.LEPTON_DR_PLAN;
    delete process.env.LEPTON_DR_PLAN;
    process.chdir(os.tmpdir());
    try {
      const catalog = new SiteCatalog(loadPlanFile(f)); // as with --plan: no LEPTON_DR_PLAN, another cwd
      assert.deepEqual(catalog.names(), ['eu']);
      assert.equal(catalog.get('eu').standby.restore[0].targetDir, path.join(path.dirname(f), 'standby', 'model'));
      assert.equal(catalog.get('eu').drill!.targetDir, path.join(path.dirname(f), 'drill'));
    } finally {
      process.chdir(cwd);
      if (env !== undefined) process.env.LEPTON_DR_PLAN = env;
    }
  });

  it('a broken site stops the worker at start (the catalog), naming the field', () => {
    const f = planFile({ objectives: { rtoSeconds: -1, rpoSeconds: 1 } });
    assert.throws(() => new SiteCatalog(loadPlanFile(f)), /sites\.0\.objectives\.rtoSeconds/);
  });

  it('a drill target that contains the primary is refused, naming both fields', () => {
    assert.match(
      refusal(planFile({ drill: { targetDir: '.' } })),
      /sites\.0\.drill\.targetDir \(.*\) contains sites\.0\.primary\.restore\.0\.targetDir \(.*primary\/model\): a drill's cleanup deletes its target/,
    );
  });

  it('a drill target inside an asset source or the repository is refused', () => {
    assert.match(
      refusal(planFile({ drill: { targetDir: 'primary/model/drill' } })),
      /sites\.0\.drill\.targetDir .* lies inside sites\.0\.primary\.restore\.0\.targetDir/,
    );
    assert.match(
      refusal(planFile({ primary: { restore: [] }, drill: { targetDir: 'primary/model/drill' } })),
      /sites\.0\.drill\.targetDir .* lies inside assets\.0\.source/,
    );
    assert.match(refusal(planFile({ drill: { targetDir: 'repo/drill' } })), /sites\.0\.drill\.targetDir .* lies inside repository\.url/);
  });

  it('a drill target reached through a symlink or ".." is seen for what it is', () => {
    const f = planFile({ drill: { targetDir: 'standby/../link/model' } });
    fs.mkdirSync(path.join(path.dirname(f), 'primary/model'), { recursive: true });
    fs.symlinkSync(path.join(path.dirname(f), 'primary'), path.join(path.dirname(f), 'link'));
    assert.match(refusal(f), /sites\.0\.drill\.targetDir \(.*\/primary\/model\) is the same folder as sites\.0\.primary\.restore\.0\.targetDir/);
  });

  it('primary equal to standby is refused', () => {
    assert.match(
      refusal(planFile({ standby: { restore: [{ asset: 'model', targetDir: './primary/model/' }] } })),
      /sites\.0\.standby\.restore\.0\.targetDir .* is the same folder as sites\.0\.primary\.restore\.0\.targetDir .*: the primary and the standby must not share folders/,
    );
  });

  it('duplicate site names are refused', () => {
    assert.match(refusal(planFile({ name: 'predict-only' })), /sites\.1\.name: duplicate site name "predict-only" \(also sites\.0\)/);
  });
});
