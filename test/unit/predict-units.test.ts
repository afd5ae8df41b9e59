import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LevelDetector } from '../../src/predict/detectors/level';
import { SeasonalDetector } from '../../src/predict/detectors/seasonal';
import { ArtDetector } from '../../src/predict/detectors/art';
import { SeriesScorer } from '../../src/predict/detectors/scorer';
import { RobustEwma, SpanTracker } from '../../src/predict/detectors/stats';
import type { Sample } from '../../src/predict/series';
import { gaussian, mulberry32 } from '../../src/predict/eval/prng';

// A metric in other units (°C vs K, bytes with a baseline) must score the same: every anomaly
// score is invariant to x -> a x + b, a > 0, up to rounding.

const MIN = 60_000;
const WARMUP = 600;
/** Rounding (of the offsets below, on this series) stays far below this. */
const TOLERANCE = 1e-6;

/**
 * A daily-like season with noise, then a flat stretch (a counter stuck at 0, over which the
 * scales decay towards 0), the season again with a spike, a burst of noise and a level shift.
 */
function series(): Sample[] {
  const g = gaussian(mulberry32(11));
  return Array.from({ length: 4000 }, (_, i) => {
    if (i >= 1000 && i < 1400) return { t: i * MIN, v: 0 };
    let v = 50 + 5 * Math.sin((2 * Math.PI * i) / 96) + g();
    if (i === 2000) v += 15;
    if (i >= 2500 && i < 2550) v += 4 * g();
    if (i >= 3200) v += 6;
    return { t: i * MIN, v };
  });
}

const UNIT_CHANGES: ReadonlyArray<readonly [string, (v: number) => number]> = [
  ['offset -1234.5', (v) => v - 1234.5],
  ['x 37.5 - 1234.5', (v) => 37.5 * v - 1234.5],
  ['x 1024', (v) => 1024 * v],
  ['x 1e-6', (v) => 1e-6 * v],
  ['x 1e-3 + 273.15', (v) => 1e-3 * v + 273.15],
];

const SCORERS: ReadonlyArray<readonly [string, () => { update(s: Sample): number }]> = [
  ['level', () => new LevelDetector({ warmup: WARMUP })],
  ['seasonal', () => new SeasonalDetector({ warmup: WARMUP })],
  ['art', () => new ArtDetector({ warmup: WARMUP })],
  ['combined scorer', () => new SeriesScorer({ warmup: WARMUP })],
  ['combined scorer, seasonal off', () => new SeriesScorer({ warmup: WARMUP, seasonal: false })],
];

function scores(make: () => { update(s: Sample): number }, data: readonly Sample[]): number[] {
  const d = make();
  return data.map((s) => d.update(s));
}

for (const [name, make] of SCORERS) {
  test(`${name}: the scores do not depend on the units or the offset of the series`, () => {
    const data = series();
    const base = scores(make, data);
    assert.ok(Math.max(...base) >= 0.1, `${name} scores something (max ${Math.max(...base)})`);
    for (const [change, f] of UNIT_CHANGES) {
      const got = scores(
        make,
        data.map((s) => ({ t: s.t, v: f(s.v) })),
      );
      let worst = 0;
      let at = -1;
      got.forEach((g, i) => {
        const d = Math.abs(g - base[i]!);
        if (d > worst) [worst, at] = [d, i];
      });
      assert.ok(worst <= TOLERANCE, `${change}: score ${got[at]} instead of ${base[at]} at row ${at}`);
    }
  });
}

test('robust EWMA: after a long constant stretch the location follows a level change, at any offset', () => {
  const follow = (offset: number): number[] => {
    const g = gaussian(mulberry32(5));
    const ewma = new RobustEwma(0.2, 0.2, 4, 30);
    const span = new SpanTracker();
    const step = (v: number): void => {
      span.push(v);
      ewma.update(v, span.floor());
    };
    for (let i = 0; i < 100; i++) step(offset + g());
    for (let i = 0; i < 5000; i++) step(offset); // the scale decays to 0
    const m: number[] = [];
    for (let i = 0; i < 200; i++) {
      step(offset + 10 + 0.1 * g());
      m.push(ewma.m - offset);
    }
    return m;
  };
  const base = follow(0);
  assert.ok(Math.abs(base[base.length - 1]! - 10) < 0.5, `the location follows the change (at ${base[base.length - 1]})`);
  for (const offset of [-1234.5, 1e4]) {
    const got = follow(offset);
    got.forEach((m, i) => assert.ok(Math.abs(m - base[i]!) <= 1e-6, `offset ${offset}: location ${m} instead of ${base[i]} after ${i + 1} steps`));
  }
});
