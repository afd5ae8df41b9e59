import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LevelDetector } from '../../src/predict/detectors/level';
import { SeasonalDetector } from '../../src/predict/detectors/seasonal';
import { TimeToLimitForecaster } from '../../src/predict/detectors/trend';
import { SeriesScorer } from '../../src/predict/detectors/scorer';
import { calibrate, combine, decide } from '../../src/predict/detectors/combiner';
import { initialPredictorState, scoreBatch } from '../../src/predict/pipeline';
import { trainModel } from '../../src/predict/train';
import type { Sample } from '../../src/predict/series';
import { gaussian, mulberry32 } from '../../src/predict/eval/prng';

const MIN = 60_000;
const HOUR = 3_600_000;

test('disk fill: the forecaster warns at least the lead time before the limit is crossed', () => {
  const noise = gaussian(mulberry32(7));
  const lead = 4 * HOUR;
  const f = new TimeToLimitForecaster({ limit: 95, leadTimeMs: lead, label: 'disk used %' });
  // 60 % rising 2 %/h with noise: crosses 95 % at 17.5 h
  const crossing = 17.5 * HOUR;
  let firstWarn: number | null = null;
  for (let i = 0; i <= 18 * 60; i++) {
    const t = i * MIN;
    const risk = f.update({ t, v: 60 + (2 * t) / HOUR + 0.2 * noise() });
    if (risk >= 0.5 && firstWarn === null) firstWarn = t;
    if (t === 10 * HOUR) {
      const fc = f.forecast();
      assert.ok(Math.abs(fc.slopePerHour - 2) < 0.1, `slope ${fc.slopePerHour}`);
      assert.ok(Math.abs(fc.etaMs - 7.5 * HOUR) < 0.5 * HOUR, `eta ${fc.etaMs / HOUR} h`);
      assert.ok(fc.confidence > 0.9);
      assert.ok(risk < 0.5, 'no warning 7.5 h ahead with a 4 h lead time');
    }
  }
  assert.ok(firstWarn !== null, 'warned');
  assert.ok(crossing - firstWarn >= lead, `warned only ${(crossing - firstWarn) / HOUR} h ahead`);
  assert.ok(crossing - firstWarn <= 1.5 * lead, `warned too early: ${(crossing - firstWarn) / HOUR} h ahead`);
  const e = f.explain();
  assert.ok(e && e.feature === 'time-to-limit' && e.etaMs === 0, 'crossed by the end');
});

test('disk fill through the trained pipeline: warning with eta and forecast in the reasons', () => {
  const noise = gaussian(mulberry32(11));
  const disk = (i: number): Sample => ({ t: i * MIN, v: 60 + (2 * i) / 60 + 0.2 * noise() });
  const history = Array.from({ length: 6 * 60 }, (_, i) => disk(i));
  const model = trainModel(
    { disk: history },
    {
      stepMs: MIN,
      createdAt: '2024-01-01T00:00:00.000Z',
      limits: { disk: { limit: 95, leadTimeMs: 4 * HOUR, label: 'disk used %' } },
    },
  );
  let state = initialPredictorState(model);
  let warnedAt: number | null = null;
  for (let h = 6; h < 18 && warnedAt === null; h++) {
    const batch = Array.from({ length: 60 }, (_, k) => disk(h * 60 + k));
    const r = scoreBatch(model, state, { disk: batch }, { until: (h + 1) * HOUR });
    state = JSON.parse(JSON.stringify(r.state)); // carried as plain JSON, like continue-as-new
    if (r.assessment.level !== 'ok') {
      warnedAt = (h + 1) * HOUR;
      const reason = r.assessment.reasons.find((x) => x.detector === 'trend');
      assert.ok(reason, 'a time-to-limit reason');
      assert.equal(reason.series, 'disk');
      assert.ok(reason.etaMs !== undefined && reason.etaMs > 0 && reason.etaMs < 5 * HOUR, `eta ${reason.etaMs}`);
      assert.ok(reason.forecast !== undefined && reason.forecast > reason.observed);
      assert.match(reason.message, /reaches the limit 95 in/);
    }
  }
  assert.ok(warnedAt !== null && 17.5 * HOUR - warnedAt >= 4 * HOUR, `warned at ${warnedAt === null ? 'never' : warnedAt / HOUR} h`);
});

function noisyDay(seed: number): (i: number) => Sample {
  const noise = gaussian(mulberry32(seed));
  return (i) => ({ t: i * MIN, v: 50 + 5 * Math.sin((2 * Math.PI * i) / 1440) + 2 * noise() });
}

test('a stable noisy series raises nothing above the warning level (trained model, 5 seeds)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const gen = noisyDay(seed);
    const history = Array.from({ length: 3 * 1440 }, (_, i) => gen(i));
    const model = trainModel({ cpu: history }, { stepMs: MIN, createdAt: '2024-01-01T00:00:00.000Z' });
    assert.equal(model.series.cpu!.stats.period, 1440, 'daily season found');
    let state = initialPredictorState(model);
    let max = 0;
    for (let h = 72; h < 72 + 4 * 24; h++) {
      const batch = Array.from({ length: 60 }, (_, k) => gen(h * 60 + k));
      const r = scoreBatch(model, state, { cpu: batch }, { until: (h + 1) * HOUR });
      state = r.state;
      max = Math.max(max, r.series.cpu!.maxRisk);
      assert.equal(r.assessment.level, 'ok', `seed ${seed} hour ${h}: ${JSON.stringify(r.assessment.reasons)}`);
    }
    assert.ok(max < 0.5, `seed ${seed}: max risk ${max}`);
  }
});

test('the same trained model warns on a level shift and on a missing daily peak', () => {
  const gen = noisyDay(9);
  const history = Array.from({ length: 3 * 1440 }, (_, i) => gen(i));
  const model = trainModel({ cpu: history }, { stepMs: MIN, createdAt: '2024-01-01T00:00:00.000Z' });
  const run = (mutate: (s: Sample, i: number) => Sample): { level: string; detectors: string[] } => {
    let state = initialPredictorState(model);
    let first = { level: 'ok', detectors: [] as string[] };
    for (let h = 72; h < 96; h++) {
      const batch = Array.from({ length: 60 }, (_, k) => mutate(gen(h * 60 + k), h * 60 + k));
      const r = scoreBatch(model, state, { cpu: batch }, { until: (h + 1) * HOUR });
      state = r.state;
      if (r.assessment.level !== 'ok' && first.level === 'ok') first = { level: r.assessment.level, detectors: r.assessment.reasons.map((x) => x.detector) };
    }
    return first;
  };
  const shifted = run((s, i) => (i >= 75 * 60 ? { t: s.t, v: s.v + 25 } : s));
  assert.notEqual(shifted.level, 'ok');
  assert.ok(shifted.detectors.includes('level'));
  // the daily peak (hours 2-10 of the day) does not come: values stay at the daily mean, within
  // the usual range, so only the season knows they are wrong
  const noPeak = run((s, i) => {
    const hourOfDay = (i % 1440) / 60;
    return hourOfDay >= 2 && hourOfDay < 10 ? { t: s.t, v: s.v - 5 * Math.sin((2 * Math.PI * i) / 1440) } : s;
  });
  assert.notEqual(noPeak.level, 'ok');
  assert.ok(noPeak.detectors.includes('seasonal'), JSON.stringify(noPeak));
});

test('detector state survives JSON round trips mid-stream (continue-as-new) with identical scores', () => {
  const gen = noisyDay(3);
  const data = Array.from({ length: 5000 }, (_, i) => {
    const s = gen(i);
    return i > 3000 && i < 3100 ? { t: s.t, v: s.v + 30 } : s;
  });
  const config = { warmup: 1600, trend: { limit: 80, leadTimeMs: HOUR } };
  const straight = new SeriesScorer(config);
  const expected = data.map((s) => straight.update(s));
  let hopping = new SeriesScorer(config);
  const got: number[] = [];
  data.forEach((s, i) => {
    if (i % 997 === 0) hopping = SeriesScorer.restore(config, JSON.parse(JSON.stringify(hopping.state())));
    got.push(hopping.update(s));
  });
  assert.deepEqual(got, expected);
  assert.ok(Math.max(...expected.slice(3000, 3100)) >= 0.5, 'the injected shift is detected');
  // each detector on its own, too
  const level = new LevelDetector({ warmup: 100 });
  const seasonal = new SeasonalDetector({ warmup: 1500, autoWindow: 3000 }); // still buffering at 2000
  for (const s of data.slice(0, 2000)) {
    level.update(s);
    seasonal.update(s);
  }
  const level2 = LevelDetector.restore({ warmup: 100 }, JSON.parse(JSON.stringify(level.state())));
  const seasonal2 = SeasonalDetector.restore({ warmup: 1500, autoWindow: 3000 }, JSON.parse(JSON.stringify(seasonal.state())));
  assert.equal(seasonal2.seasonLength, 0, 'not decided yet');
  for (const s of data.slice(2000)) {
    assert.equal(level2.update(s), level.update(s));
    assert.equal(seasonal2.update(s), seasonal.update(s));
  }
  assert.equal(seasonal2.seasonLength, seasonal.seasonLength);
  assert.ok(Math.abs(seasonal2.seasonLength - 1440) <= 30, `season ${seasonal2.seasonLength}`);
});

test('restoring a corrupted state is refused', () => {
  const d = new LevelDetector();
  d.update({ t: 0, v: 1 });
  const st = d.state() as unknown as Record<string, unknown>;
  assert.throws(() => LevelDetector.restore({}, { ...st, n: -1 }));
  assert.throws(() => LevelDetector.restore({}, { ...st, extra: 1 }));
  const s = new SeasonalDetector({ period: 4 }).state();
  assert.throws(() => SeasonalDetector.restore({}, { ...s, profile: [1, 2] }), RangeError);
  assert.throws(() =>
    TimeToLimitForecaster.restore(
      { limit: 1, windowPoints: 3 },
      { times: [1, 2, 3, 4], values: [1, 2, 3, 4], count: 4, lastScore: 0, lastT: 4, sums: { ref: 1, st: 0, sv: 0, stt: 0, stv: 0, svv: 0, sinceRebase: 0 } },
    ),
  );
});

test('non-finite values leave the detectors unchanged', () => {
  const a = new SeriesScorer({ warmup: 10 });
  const b = new SeriesScorer({ warmup: 10 });
  for (let i = 0; i < 50; i++) {
    a.update({ t: i, v: i % 7 });
    b.update({ t: i, v: i % 7 });
  }
  const r = a.update({ t: 50, v: NaN });
  assert.equal(r, a.assessment('x').risk);
  assert.equal(a.update({ t: 51, v: 3 }), b.update({ t: 51, v: 3 }));
});

test('combiner: calibration puts each threshold on the warning level; reasons sorted', () => {
  assert.equal(calibrate(0.14, 0.14), 0.5);
  assert.equal(calibrate(0, 0.14), 0);
  assert.equal(calibrate(1, 0.14), 1);
  assert.ok(calibrate(0.3, 0.14) > 0.5 && calibrate(0.1, 0.14) < 0.5);
  const e = (detector: string) => ({ detector, feature: 'f', score: 0, observed: 2, expected: 1, message: detector });
  const r = combine([
    { series: 'a', score: 0.3, explanation: e('level') },
    { series: 'b', score: 0.9, explanation: e('seasonal') },
    { series: 'c', score: 0.1, explanation: e('trend') },
  ]);
  assert.equal(r.risk, 0.9);
  assert.equal(r.level, 'act');
  assert.deepEqual(
    r.reasons.map((x) => x.series),
    ['b', 'a'],
  );
  assert.equal(decide(0.55), 'warn');
  assert.equal(decide(0.2), 'ok');
});
