import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probationaryLength, scaledSigmoid, scoreNab, windowRows } from '../../src/predict/eval/nab';
import type { NabSeries } from '../../src/predict/eval/nab';

const MIN = 60_000;
/** A series of n rows one minute apart, scores given as {row: score}, windows as row ranges. */
function series(name: string, n: number, hits: Record<number, number>, windows: Array<[number, number]>): NabSeries {
  const timestamps = Array.from({ length: n }, (_, i) => i * MIN);
  const scores = Array.from({ length: n }, (_, i) => hits[i] ?? 0);
  return { name, timestamps, scores, windows: windows.map(([a, b]) => [a * MIN, b * MIN] as [number, number]) };
}
const S = (x: number) => 2 / (1 + Math.exp(5 * x)) - 1;
const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test('scaled sigmoid and probation follow NAB', () => {
  close(scaledSigmoid(-1), 2 / (1 + Math.exp(-5)) - 1);
  close(scaledSigmoid(0), 0);
  assert.equal(scaledSigmoid(3.01), -1);
  assert.equal(probationaryLength(20), 3); // floor(0.15 * 20)
  assert.equal(probationaryLength(10_000), 750); // capped at 0.15 * 5000
  assert.deepEqual(
    windowRows(
      [0, 1, 2, 3, 4, 5].map((i) => i * MIN),
      [[1.5 * MIN, 4 * MIN]],
    ),
    [{ start: 2, end: 4 }],
  );
});

test('a detection at the left edge of a window is worth exactly tpWeight', () => {
  const r = scoreNab([series('a', 20, { 10: 1 }, [[10, 14]])]);
  const p = r.profiles.standard;
  assert.equal(p.threshold, 1);
  close(p.rawScore, 1);
  close(p.score, 100);
  assert.equal(p.truePositives, 1);
  assert.equal(p.falsePositives, 0);
  assert.equal(p.precision, 1);
  assert.equal(p.recall, 1);
  assert.equal(p.meanLeadBeforeEndMs, 4 * MIN);
  assert.equal(p.meanDelayAfterStartMs, 0);
  assert.equal(p.meanLeadBeforeLabelMs, 2 * MIN); // window centre is row 12
});

test('only the earliest detection of a window counts; its reward follows the sigmoid', () => {
  // window rows 10..14 (width 5); detections at 12 and 13: position of 12 = -(14 - 12 + 1) / 5 = -0.6
  const r = scoreNab([series('a', 20, { 12: 1, 13: 1 }, [[10, 14]])]);
  const p = r.profiles.standard;
  const reward = S(-0.6) / S(-1);
  close(p.rawScore, reward);
  close(p.score, (100 * (reward + 1)) / 2);
  assert.equal(p.meanLeadBeforeEndMs, 2 * MIN);
  assert.equal(p.meanDelayAfterStartMs, 2 * MIN);
  assert.equal(p.meanLeadBeforeLabelMs, 0);
});

test('false positives: full cost before any window, sigmoid of the distance after one, nothing in probation', () => {
  // probation = 3 rows; row 2 is ignored; row 5 precedes the window: -0.11; row 17 is 3 rows after the
  // window end 14, window width 5: -0.11 * S(3 / 4); the window itself is missed: -1
  const r = scoreNab([series('a', 20, { 2: 1, 5: 1, 17: 1 }, [[10, 14]])], { threshold: 0.5 });
  const p = r.profiles.standard;
  close(p.rawScore, -0.11 + 0.11 * S(0.75) - 1);
  assert.equal(p.falsePositives, 2);
  assert.equal(p.falseNegatives, 1);
  close(p.score, (100 * (p.rawScore + 1)) / 2);
  // the low-FP profile doubles the FP weight
  close(r.profiles.reward_low_FP_rate.rawScore, -0.22 + 0.22 * S(0.75) - 1);
  // the low-FN profile doubles the FN weight (and its null score)
  const fn = r.profiles.reward_low_FN_rate;
  close(fn.rawScore, -0.11 + 0.11 * S(0.75) - 2);
  close(fn.score, (100 * (fn.rawScore + 2)) / 3);
});

test('the threshold is one for the corpus, the best per profile', () => {
  // series a: its window is hit at the left edge with score 0.6; series b has no window and ten
  // rows scored 0.7 far from any window.
  const hitsB: Record<number, number> = {};
  for (let i = 10; i < 20; i++) hitsB[i] = 0.7;
  const corpus = [series('a', 40, { 20: 0.6 }, [[20, 24]]), series('b', 40, hitsB, [])];
  const r = scoreNab(corpus);
  // standard: threshold 0.6 gives 1 - 10 * 0.11 = -0.1 > -1 (null) > 0.7's -2.1
  assert.equal(r.profiles.standard.threshold, 0.6);
  close(r.profiles.standard.rawScore, -0.1);
  close(r.profiles.standard.score, 45);
  // low FP: 1 - 10 * 0.22 = -1.2 < -1: the null detector wins, score 0
  assert.equal(r.profiles.reward_low_FP_rate.threshold, Infinity);
  close(r.profiles.reward_low_FP_rate.score, 0);
  // low FN: null is -2, threshold 0.6 gives -0.1: (−0.1 + 2) / 3
  assert.equal(r.profiles.reward_low_FN_rate.threshold, 0.6);
  close(r.profiles.reward_low_FN_rate.score, (100 * 1.9) / 3);
  assert.equal(r.profiles.standard.falsePositives, 10);
  close(r.profiles.standard.precision, 1 / 11);
});

test('thresholds of equal total: the highest by default, the lowest with ties: lower', () => {
  // the window is first hit at 0.9; 0.6 (later in the same window) changes nothing, 0.3 is a false positive
  const corpus = [series('a', 40, { 20: 0.9, 22: 0.6, 30: 0.3 }, [[20, 24]])];
  const high = scoreNab(corpus, { profiles: ['standard'] }).profiles.standard;
  const low = scoreNab(corpus, { profiles: ['standard'], ties: 'lower' }).profiles.standard;
  assert.equal(high.threshold, 0.9);
  assert.equal(low.threshold, 0.6);
  close(low.rawScore, high.rawScore);
  assert.equal(low.falsePositives, 0);
});

test('a window entirely inside probation is not scored', () => {
  const r = scoreNab([
    series('a', 20, {}, [
      [0, 2],
      [10, 14],
    ]),
  ]);
  assert.equal(r.windows, 1);
  assert.equal(r.profiles.standard.nullScore, -1);
  assert.equal(r.profiles.standard.perfectScore, 1);
});

test('scores must be finite and one per row', () => {
  assert.throws(() => scoreNab([{ name: 'x', timestamps: [0, 1], scores: [0], windows: [] }]), RangeError);
  assert.throws(() => scoreNab([{ name: 'x', timestamps: [0, 1], scores: [0, NaN], windows: [] }]), RangeError);
});
