import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArtDetector, artStep } from '../../src/predict/detectors/art';
import { ArtMemory } from '../../src/predict/detectors/art-memory';
import { DEFAULT_ALARM_THRESHOLD, SeriesScorer } from '../../src/predict/detectors/scorer';
import { scoreValues } from '../../src/predict/eval/evaluate';
import { gaussian, mulberry32 } from '../../src/predict/eval/prng';

const MIN = 60_000;

/** A repeating shape (a ramp up then a plateau, period 60) with a little seeded noise. */
function repeating(n: number, seed: number): Float64Array {
  const g = gaussian(mulberry32(seed));
  return Float64Array.from({ length: n }, (_, i) => {
    const p = i % 60;
    return (p < 30 ? 10 + p : 40) + 0.3 * g();
  });
}

function run(values: ArrayLike<number>, config: ConstructorParameters<typeof ArtDetector>[0]): number[] {
  const d = new ArtDetector(config);
  return Array.from(values, (v, i) => d.update({ t: i * MIN, v }));
}

test('art memory: resonance within the vigilance, a new category beyond it, the least recent slot when full', () => {
  const m = new ArtMemory(2, 2);
  assert.deepEqual(m.present([0.5, 0.5], 0.9), { match: 0, founded: true });
  // grows the box to [0.5, 0.6] x [0.5, 0.5]: grown size 0.1 of 2, match 0.95 >= 0.9
  const r = m.present([0.6, 0.5], 0.9);
  assert.equal(r.founded, false);
  assert.ok(Math.abs(r.match - 0.95) < 1e-12);
  // far away: match 1 - (0.4 + 0.4) / 2 = 0.6 < 0.9, a second category
  assert.equal(m.present([0.9, 0.9], 0.9).founded, true);
  m.present([0.55, 0.5], 0.9); // the first category resonates again, the second is now the least recent
  assert.equal(m.present([0.1, 0.1], 0.9).founded, true);
  assert.equal(m.size, 2);
  const boxes = m.state().boxes;
  assert.deepEqual(boxes[1], [0.1, 0.1, 0.1, 0.1], 'the second slot was given up');
  assert.deepEqual(new ArtMemory(2, 2).restore(m.state()).state(), m.state());
});

test('art: quiet on a repeated pattern after the warm-up', () => {
  const warmup = 600;
  const scores = run(repeating(6000, 1), { warmup });
  assert.equal(Math.max(...scores.slice(0, warmup)), 0, 'nothing scores in the warm-up');
  const above = scores.filter((s) => s > DEFAULT_ALARM_THRESHOLD).length;
  assert.equal(above, 0, `a repeated shape founds no scored category (${above} did)`);
});

test('art: reacts to a novel pattern inside the usual range', () => {
  const values = repeating(4000, 2);
  // rows 2400-2519: the series oscillates between 14 and 36 every 5 rows instead of ramping; no value leaves the range
  for (let i = 2400; i < 2520; i++) values[i] = (i % 10 < 5 ? 14 : 36) + (values[i]! - (i % 60 < 30 ? 10 + (i % 60) : 40));
  const d = new ArtDetector({ warmup: 600 });
  let inside = 0;
  let outside = 0;
  let explained = '';
  values.forEach((v, i) => {
    const s = d.update({ t: i * MIN, v });
    if (i < 2400 || i >= 2530) outside = Math.max(outside, s);
    else if (s > inside) {
      inside = s;
      explained = d.explain()?.feature ?? '';
    }
  });
  assert.ok(inside > 5 * outside && inside > 0.05, `novel ${inside} against ${outside} elsewhere`);
  assert.equal(explained, 'new-pattern');
  // through the scorer, at a raw threshold below that score, the risk reaches the warning level there only
  const scorer = new SeriesScorer({ warmup: 600, seasonal: false, art: {}, thresholds: { art: inside / 2 } });
  const risks = Array.from(values, (v, i) => scorer.update({ t: i * MIN, v }));
  assert.ok(Math.max(...risks.slice(2400, 2530)) >= 0.5);
  assert.equal(scorer.art?.kind, 'art');
});

test('art: causal and streaming, a prefix scores exactly as the full run; state survives JSON round trips', () => {
  const values = repeating(3000, 3);
  for (let i = 1500; i < 1560; i++) values[i] = 60 - (i % 60);
  const ts = Float64Array.from(values, (_, i) => i * MIN);
  for (const scorer of [
    { warmup: 300, art: {} },
    { warmup: 450, seasonal: false as const, art: { window: 6, capacity: 8 } },
  ]) {
    const full = scoreValues(ts, values, { scorer });
    for (const cut of [200, 301, 777, 1530, 2999]) {
      assert.deepEqual(Array.from(scoreValues(ts.subarray(0, cut), values.subarray(0, cut), { scorer })), Array.from(full.subarray(0, cut)));
    }
  }
  const config = { warmup: 300, capacity: 8 };
  const expected = run(values, config);
  let d = new ArtDetector(config);
  const got = Array.from(values, (v, i) => {
    if (i % 211 === 0) d = ArtDetector.restore(config, JSON.parse(JSON.stringify(d.state()))); // also mid-block and mid-warm-up
    return d.update({ t: i * MIN, v });
  });
  assert.deepEqual(got, expected);
  assert.ok(Math.max(...expected) > 0, 'the inserted shape scores');
});

test('art: units do not matter, the downsampling step follows the warm-up', () => {
  const values = repeating(3000, 4);
  for (let i = 1800; i < 1860; i++) values[i] = 10;
  assert.deepEqual(
    run(
      values.map((v) => 4 * v),
      { warmup: 600 },
    ),
    run(values, { warmup: 600 }),
  );
  assert.equal(artStep({ warmup: 750, window: 8, windowsPerWarmup: 13 }), 7);
  assert.equal(artStep({ warmup: 60, window: 8, windowsPerWarmup: 13 }), 1);
  assert.throws(() => ArtDetector.restore({}, { n: 1 }), /block|warm|memory/);
});
