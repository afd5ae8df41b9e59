import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanSamples, denormalise, fitNormaliser, normalise, resample } from '../../src/predict/series';
import { preprocess } from '../../src/predict/pipeline';
import { detectPeriod } from '../../src/predict/detectors/stats';
import { BadInputError } from '../../src/common/errors';

test('cleaning drops NaN/Inf, sorts out-of-order samples and keeps the last duplicate', () => {
  const { samples, report } = cleanSamples([
    { t: 3000, v: 3 },
    { t: 1000, v: 1 },
    { t: 2000, v: NaN },
    { t: 2000, v: 2 },
    { t: 1000, v: 10 }, // duplicate of t=1000, later in the input: wins
    { t: Infinity, v: 4 },
    { t: 4000, v: -Infinity },
  ]);
  assert.deepEqual(samples, [
    { t: 1000, v: 10 },
    { t: 2000, v: 2 },
    { t: 3000, v: 3 },
  ]);
  assert.deepEqual(report, { input: 7, output: 3, nonFinite: 3, duplicates: 1, reordered: true });
  assert.deepEqual(cleanSamples([]).samples, []);
});

test('resampling: bucket means, forward fill up to N steps, then missing', () => {
  const r = resample(
    [
      { t: 0, v: 1 },
      { t: 400, v: 3 }, // same bucket as t=0: mean 2
      { t: 1000, v: 5 },
      { t: 6500, v: 7 }, // after a 4-bucket gap
    ],
    { stepMs: 1000, maxFillSteps: 2 },
  );
  assert.deepEqual(
    r.samples.map((s) => s.t),
    [0, 1000, 2000, 3000, 4000, 5000, 6000],
  );
  assert.deepEqual(
    r.samples.map((s) => s.v),
    [2, 5, 5, 5, NaN, NaN, 7],
  );
  assert.equal(r.filled, 2);
  assert.equal(r.missing, 2);
  // no fill at all by default; an explicit window pads with missing buckets
  const r2 = resample([{ t: 1500, v: 1 }], { stepMs: 1000, start: 0, end: 4000 });
  assert.deepEqual(
    r2.samples.map((s) => s.v),
    [NaN, 1, NaN, NaN],
  );
  assert.deepEqual(resample([], { stepMs: 1000 }).samples, []);
  assert.throws(() => resample([], { stepMs: 0 }));
});

test('incremental preprocessing continues buckets and forward fill across batches', () => {
  const step = 1000;
  const a = preprocess(
    [
      { t: 0, v: 1 },
      { t: 1200, v: 3 },
      { t: 2500, v: 9 }, // incomplete bucket at until = 2500: pending
    ],
    { nextT: null, lastValue: null, lastObservedT: null },
    { stepMs: step, maxFillSteps: 1, until: 2500 },
  );
  assert.deepEqual(a.samples, [
    { t: 0, v: 1 },
    { t: 1000, v: 3 },
  ]);
  assert.deepEqual(a.pending, [{ t: 2500, v: 9 }]);
  assert.equal(a.cursor.nextT, 2000);
  // next batch: a late sample (ignored), the pending one again, then a gap
  const b = preprocess(
    [
      { t: 1500, v: 100 },
      { t: 2500, v: 9 },
    ],
    a.cursor,
    { stepMs: step, maxFillSteps: 1, until: 6000 },
  );
  assert.equal(b.late, 1);
  assert.deepEqual(
    b.samples.map((s) => [s.t, s.v]),
    [
      [2000, 9],
      [3000, 9],
      [4000, NaN],
      [5000, NaN],
    ],
  );
  assert.equal(b.filled, 1);
  assert.equal(b.missing, 2);
  assert.equal(b.cursor.nextT, 6000);
});

test('normalisation: robust statistics ignore outliers; stats round-trip through JSON', () => {
  const values = [10, 11, 9, 10, 12, 8, 10, 1e6, NaN];
  const n = fitNormaliser(values);
  assert.equal(n.method, 'robust');
  assert.equal(n.center, 10);
  assert.ok(Math.abs(n.scale - 1.4826) < 1e-9, `scale ${n.scale}`);
  const back = JSON.parse(JSON.stringify(n)) as typeof n;
  assert.equal(normalise(13, back), (13 - 10) / n.scale);
  assert.equal(denormalise(normalise(13, back), back), 13);
  const s = fitNormaliser([1, 2, 3, 4], 'standard');
  assert.equal(s.center, 2.5);
  assert.ok(Math.abs(s.scale - Math.sqrt(5 / 3)) < 1e-12);
  // constant series: scale falls back to 1 instead of 0
  assert.equal(fitNormaliser([5, 5, 5]).scale, 1);
  assert.throws(() => fitNormaliser([NaN]), BadInputError);
});

test('season length is found by autocorrelation', () => {
  const v = Array.from({ length: 600 }, (_, i) => Math.sin((2 * Math.PI * i) / 48) + ((i * 7919) % 13) / 50);
  assert.equal(detectPeriod(v, 4, 200), 48);
  assert.equal(detectPeriod(Array(100).fill(3)), 0);
});
