import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROBUSTNESS_TRANSFORMS, evaluateRobustness } from '../../src/predict/eval/robustness';
import { singleCandidate } from '../../src/predict/eval/eval-grid';
import type { LabelledSeries } from '../../src/predict/eval/evaluate';
import { gaussian, mulberry32 } from '../../src/predict/eval/prng';

const MIN = 60_000;

function series(name: string, n: number, seed: number, windows: Array<[number, number]>): LabelledSeries {
  const g = gaussian(mulberry32(seed));
  return {
    name,
    timestamps: Float64Array.from({ length: n }, (_, i) => i * MIN),
    values: Float64Array.from({ length: n }, (_, i) => 50 + 10 * Math.sin(i / 20) + g()),
    windows,
  };
}

const byName = (part: string) => ROBUSTNESS_TRANSFORMS.find((t) => t.name.includes(part))!;

test('robustness transforms: values and windows mapped, the input untouched, deterministic', () => {
  const quiet = series('none/q.csv', 1000, 1, []);
  const labelled = series('with/l.csv', 1001, 2, [[300 * MIN, 340 * MIN]]);
  const corpus = [quiet, labelled];
  const before = corpus.map((s) => Array.from(s.values));

  const scaled = byName('scaled').apply(corpus);
  assert.ok(Math.abs(scaled[0]!.values[5]! - (37.5 * quiet.values[5]! - 1234.5)) < 1e-9);

  const half = byName('second row').apply(corpus);
  assert.deepEqual(
    half.map((s) => s.name),
    ['none/q.csv#even', 'none/q.csv#odd', 'with/l.csv#even', 'with/l.csv#odd'],
    'both parities, each a file of the same category',
  );
  const [even, odd] = [half[2]!, half[3]!];
  assert.equal(even.values.length, 501);
  assert.equal(odd.values.length, 500);
  assert.equal(even.timestamps[3], 6 * MIN);
  assert.equal(odd.timestamps[3], 7 * MIN);
  const rows = [...even.timestamps, ...odd.timestamps].sort((a, b) => a - b);
  assert.deepEqual(rows, Array.from(labelled.timestamps), 'every row is kept once: a one-row spike on an odd row is not dropped');
  assert.deepEqual(
    [...even.values, ...odd.values].sort((a, b) => a - b),
    Array.from(labelled.values).sort((a, b) => a - b),
  );
  for (const s of [even, odd]) assert.deepEqual(s.windows, labelled.windows, 'windows are timestamps: a scrape at twice the interval keeps them');

  const noisy = byName('noise').apply(corpus);
  assert.deepEqual(Array.from(byName('noise').apply(corpus)[0]!.values), Array.from(noisy[0]!.values), 'seeded');
  const diff = Array.from(noisy[0]!.values, (v, i) => v - quiet.values[i]!);
  const sd = Math.sqrt(diff.reduce((a, d) => a + d * d, 0) / diff.length);
  assert.ok(sd > 0.5 && sd < 2.5, `noise sd ${sd}`);

  const spiked = byName('spikes').apply(corpus);
  assert.equal(spiked[1], labelled, 'a series with windows is left as it is');
  const w = spiked[0]!.windows;
  assert.equal(w.length, 3);
  for (const [k, at] of [450, 650, 850].entries()) {
    assert.notEqual(spiked[0]!.values[at], quiet.values[at]);
    assert.ok(w[k]![0] < at * MIN && at * MIN < w[k]![1], 'the window holds its spike');
    assert.equal((w[k]![1] - w[k]![0]) / MIN, 32, "NAB's size: 10 % of the rows shared by the three");
  }
  assert.equal(Array.from(spiked[0]!.values).filter((v, i) => v !== quiet.values[i]).length, 3);
  assert.deepEqual(
    corpus.map((s) => Array.from(s.values)),
    before,
  );
});

test('robustness: the protocol runs on the corpus and on every transform of it', () => {
  const corpus = ['a', 'b', 'c'].flatMap((cat, k) => [0, 1].map((j) => series(`${cat}/s${j}.csv`, 800, 10 * k + j, [[500 * MIN, 540 * MIN]])));
  const runs = evaluateRobustness(corpus, singleCandidate({ warmup: 120 }));
  assert.deepEqual(
    runs.map((r) => r.name),
    ['as labelled', ...ROBUSTNESS_TRANSFORMS.map((t) => t.name)],
  );
  for (const r of runs) assert.equal(r.evaluation.files.length, r.name.includes('second row') ? 12 : 6);
});
