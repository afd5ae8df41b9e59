import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel, sealModel, serialiseModel, PREDICT_MODEL_KIND } from '../../src/predict/model';
import { calibrateThreshold, snapPeriod, trainModel } from '../../src/predict/train';
import { initialPredictorState, scoreBatch } from '../../src/predict/pipeline';
import { BadInputError, IntegrityError } from '../../src/common/errors';
import type { Sample } from '../../src/predict/series';
import { gaussian, mulberry32 } from '../../src/predict/eval/prng';

const MIN = 60_000;
const HOUR = 3_600_000;

function history(seed: number, n: number): Record<string, Sample[]> {
  const noise = gaussian(mulberry32(seed));
  const cpu: Sample[] = [];
  const disk: Sample[] = [];
  for (let i = 0; i < n; i++) {
    cpu.push({ t: i * 5 * MIN, v: 40 + 10 * Math.sin((2 * Math.PI * i) / 288) + 3 * noise() });
    disk.push({ t: i * 5 * MIN, v: 50 + i * 0.001 + 0.1 * noise() });
  }
  cpu.splice(100, 0, { t: 100 * 5 * MIN + 1, v: NaN }); // dirty input is cleaned
  return { cpu, disk };
}

const OPTS = { stepMs: 5 * MIN, createdAt: '2024-05-01T00:00:00.000Z', limits: { disk: { limit: 90, leadTimeMs: 6 * HOUR } } };

test('training gives a versioned artefact that round-trips through JSON', () => {
  const model = trainModel(history(1, 7 * 288), OPTS);
  assert.equal(model.kind, PREDICT_MODEL_KIND);
  assert.equal(model.version, 1);
  assert.match(model.checksum, /^[0-9a-f]{64}$/);
  const cpu = model.series.cpu!;
  assert.equal(cpu.stats.period, 288, 'daily season at 5-minute steps');
  assert.equal(cpu.scorer.normaliser?.method, 'robust');
  assert.ok(Math.abs(cpu.scorer.normaliser!.center - 40) < 1.5);
  assert.ok(cpu.scorer.thresholds.level >= 0.3 && cpu.scorer.thresholds.level <= 0.6);
  assert.ok(model.series.disk!.scorer.trend, 'the disk has a limit');
  assert.equal(model.series.disk!.stats.period, 0);
  const text = serialiseModel(model);
  const back = loadModel(text);
  assert.deepEqual(back, model);
  assert.equal(serialiseModel(back), text, 'canonical bytes');
  // deterministic: same history, same options, same bytes
  assert.equal(serialiseModel(trainModel(history(1, 7 * 288), OPTS)), text);
});

test('a loaded model scores exactly like the trained one', () => {
  const model = trainModel(history(2, 3 * 288), OPTS);
  const loaded = loadModel(serialiseModel(model));
  const next = history(3, 4 * 288);
  const shift = (s: Sample[]) =>
    s
      .filter((x) => Number.isFinite(x.v))
      .slice(0, 288)
      .map((x) => ({ t: x.t + 3 * 288 * 5 * MIN, v: x.v }));
  const batch = { cpu: shift(next.cpu!), disk: shift(next.disk!) };
  const until = 4 * 288 * 5 * MIN;
  const a = scoreBatch(model, initialPredictorState(model), batch, { until });
  const b = scoreBatch(loaded, initialPredictorState(loaded), batch, { until });
  assert.deepEqual(b, a);
  assert.equal(a.series.cpu!.points, 288);
  assert.deepEqual(a.unknownSeries, []);
  assert.deepEqual(scoreBatch(model, a.state, { mem: [{ t: until, v: 1 }] }, { until }).unknownSeries, ['mem']);
});

test('a corrupted or foreign artefact is refused', () => {
  const model = trainModel(history(4, 2 * 288), OPTS);
  const text = serialiseModel(model);
  // not JSON
  assert.throws(() => loadModel(text.slice(0, text.length / 2)), BadInputError);
  // one digit changed somewhere in the body: the checksum catches it
  const edited = JSON.parse(text) as typeof model;
  edited.series.cpu!.scorer.thresholds.level = 0.59;
  assert.throws(() => loadModel(JSON.stringify(edited)), IntegrityError);
  // schema violations are named
  const bad = JSON.parse(text) as Record<string, unknown>;
  bad.stepMs = -1;
  assert.throws(
    () => loadModel(bad),
    (e: Error) => e instanceof BadInputError && /stepMs/.test(e.message),
  );
  // other kinds and versions
  assert.throws(() => loadModel({ ...model, kind: 'something-else' }), /kind/);
  assert.throws(() => loadModel({ ...model, version: 2 }), /version 2 is not supported/);
  // a state that does not restore (checksum recomputed so only the state is wrong)
  const broken = JSON.parse(text) as typeof model;
  (broken.series.cpu!.state as { level: unknown }).level = { n: 'x' };
  const { checksum: _c, ...body } = broken;
  assert.throws(() => loadModel(sealModel(body)), /does not restore/);
});

test('threshold calibration from normal data and calendar period snapping', () => {
  const budget = { falseWarnings: 0.1, horizonPoints: 10_000, maxThreshold: 0.6 };
  assert.equal(calibrateThreshold([0, 0, 0], 0.3, budget), 0.3, 'nothing beat a record: the floor');
  const raw = Array.from({ length: 1000 }, (_, i) => (i % 100 === 0 ? 1 - 1 / 1.1 : 0)); // ten records beaten by 10 %
  const t = calibrateThreshold(raw, 0.1, budget);
  // u = ln 1.1 each, x = ln(1.1) * ln(10 * 10000 / (1000 * 0.1)) = ln(1.1) * ln(1000)
  assert.ok(Math.abs(t - (1 - Math.exp(-Math.log(1.1) * Math.log(1000)))) < 1e-12, String(t));
  assert.equal(calibrateThreshold([0.99, 0.99, 0.99, 0.99, 0.99, 0], 0.1, budget), 0.6, 'capped');
  assert.equal(snapPeriod(1434, MIN), 1440);
  assert.equal(snapPeriod(290, 5 * MIN), 288);
  assert.equal(snapPeriod(100, 5 * MIN), 100);
  assert.equal(snapPeriod(0, MIN), 0);
});
