import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { evaluateCorpus } from '../../src/predict/eval/evaluate';
import { summariseNab } from '../../src/predict/eval/nab';
import { evaluateLoco } from '../../src/predict/eval/loco-eval';
import { smallGrid } from '../../src/predict/eval/eval-grid';

/** The folder holding package.json above this file (works from any build output directory). */
function projectRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new Error('package.json not found above ' + __dirname);
}

const NAB = path.join(projectRoot(), '..', 'shared', 'datasets', 'nab');

/**
 * Floors we honestly reach on the 35-series NAB subset with the default (untrained) scorer,
 * one corpus-wide threshold per profile, optimised on the corpus as NAB does (the scorer's
 * hyperparameters were also chosen on this corpus, corpus-wide, never per file). Measured
 * (deterministic): standard 74.49, reward_low_FP_rate 70.97, reward_low_FN_rate 77.66; the floors
 * leave a little room for floating-point differences between platforms.
 */
const FLOORS = { standard: 74, reward_low_FP_rate: 70.5, reward_low_FN_rate: 77 };

test('NAB subset: the default scorer beats the floors (deterministically)', { timeout: 60_000 }, async (t) => {
  if (!existsSync(path.join(NAB, 'combined_windows.json'))) {
    t.skip(`NAB data not found at ${NAB}`);
    return;
  }
  const run = () => evaluateCorpus({ dataDir: path.join(NAB, 'data'), windowsFile: path.join(NAB, 'combined_windows.json') });
  const r = await run();
  const s = summariseNab(r.report);
  t.diagnostic(JSON.stringify(s));
  assert.equal(r.files.length, 35);
  assert.equal(r.report.windows, 50);
  for (const [profile, floor] of Object.entries(FLOORS)) {
    const got = r.report.profiles[profile as keyof typeof FLOORS].score;
    assert.ok(got >= floor, `${profile}: ${got.toFixed(2)} < ${floor}`);
  }
  const std = r.report.profiles.standard;
  assert.ok(std.recall >= 0.8, `recall ${std.recall}`);
  assert.ok(std.meanLeadBeforeEndMs !== null && std.meanLeadBeforeEndMs > 0);
  // deterministic: a second run gives the same report
  const again = await run();
  assert.deepEqual(again.report, r.report);
});

/**
 * The headline protocol (loco.ts): the threshold (with the grid, also the configuration) chosen
 * on three categories, scored on the fourth. Measured (deterministic): threshold only (the
 * defaults alone, the headline) standard 66.52, low FP 63.66, low FN 69.01; 18-candidate grid
 * the same (no candidate's gain over the defaults is significant on any training folds). Before
 * the scores were made independent of a series' units and offset it was 72.58, 69.06, 75.72: the
 * training folds of realTraffic now score best at threshold 0.535 (not 0.501), above five of
 * realTraffic's detections (see the README). Floors, not targets: they catch a
 * regression, and they sit below the in-sample floors above because the held-out categories
 * had no say in the parameters.
 */
const LOCO_FLOORS = {
  grid: { standard: 66.3, reward_low_FP_rate: 63.4, reward_low_FN_rate: 68.8 },
  base: { standard: 66.3, reward_low_FP_rate: 63.4, reward_low_FN_rate: 68.8 },
};

test('NAB subset, leave one category out: four folds, held-out figures above the floors', { timeout: 120_000 }, async (t) => {
  if (!existsSync(path.join(NAB, 'combined_windows.json'))) {
    t.skip(`NAB data not found at ${NAB}`);
    return;
  }
  const opts = { dataDir: path.join(NAB, 'data'), windowsFile: path.join(NAB, 'combined_windows.json') };
  for (const [name, grid] of [
    ['grid', smallGrid()],
    ['base', undefined],
  ] as const) {
    const r = await evaluateLoco({ ...opts, ...(grid ? { grid } : {}) });
    t.diagnostic(
      `${name}: ${Object.values(r.loco)
        .map((p) => `${p.profile} ${p.score.toFixed(2)}`)
        .join(', ')}`,
    );
    for (const [profile, floor] of Object.entries(LOCO_FLOORS[name])) {
      const p = r.loco[profile as keyof typeof LOCO_FLOORS.grid];
      assert.deepEqual(
        p.folds.map((f) => f.heldOut),
        ['artificialNoAnomaly', 'artificialWithAnomaly', 'realAWSCloudwatch', 'realTraffic'],
      );
      assert.equal(p.truePositives + p.falseNegatives, 50);
      assert.ok(p.score >= floor, `${name} ${profile}: ${p.score.toFixed(2)} < ${floor}`);
      assert.ok(p.score <= r.inSample[p.profile].result.score + 1e-9, 'held out above in-sample');
    }
  }
});
