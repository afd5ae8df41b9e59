import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimeToLimitForecaster } from '../../src/predict/detectors/trend';
import { LIMIT_FORECAST_SETTINGS } from '../../src/predict/detectors/trend-config';
import { SeasonalGrowth } from '../../src/predict/detectors/seasonal-growth';
import { ourWarnings, warningsFromRisk } from '../../src/predict/eval/forecast-eval';
import { scoreWarnings } from '../../src/predict/eval/forecast-score';
import { generateTraces } from '../../src/predict/eval/forecast-traces';
import { gaussian, mulberry32 } from '../../src/predict/eval/prng';

const HOUR = 3600_000;
const MIN = 60_000;
const pts = (on: number[], step = HOUR) => on.map((v, i) => ({ t: i * step, on: v === 1 }));

test('scoreWarnings: lead is the episode that holds until the crossing; episodes starting beyond the horizon are false alarms', () => {
  // crossing at 10 h, horizon 3 h: an episode at 2-3 h (false), one from 8 h on (lead 2 h), one after the crossing (ignored)
  assert.deepEqual(scoreWarnings(pts([0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]), 10 * HOUR, 3 * HOUR), { leadMs: 2 * HOUR, falseAlarms: 1, episodes: 2 });
  // an early warning that holds until the limit is a false alarm too (told "within 3 h", it took 5 h)
  assert.deepEqual(scoreWarnings(pts([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]), 10 * HOUR, 3 * HOUR), { leadMs: 5 * HOUR, falseAlarms: 1, episodes: 1 });
  // a warning that went off just before the limit gives no lead
  assert.deepEqual(scoreWarnings(pts([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]), 10 * HOUR, 3 * HOUR), { leadMs: 0, falseAlarms: 0, episodes: 1 });
  assert.deepEqual(scoreWarnings(pts([0, 1, 1, 0, 1]), null, 3 * HOUR), { leadMs: null, falseAlarms: 2, episodes: 2 });
});

test("warningsFromRisk follows the loop's default policy: on at 0.5, off after two evaluations below 0.4", () => {
  const risks = [0.2, 0.55, 0.45, 0.39, 0.45, 0.3, 0.3, 0.6].map((risk, t) => ({ t, risk }));
  assert.deepEqual(
    warningsFromRisk(risks).map((p) => p.on),
    [false, true, true, true, true, true, false, true],
  );
});

test('generated traces are reproducible and labelled by their first sample at the limit', () => {
  const a = generateTraces({ seed: 5, stepMs: 10 * MIN, perFamily: 1 });
  assert.deepEqual(a, generateTraces({ seed: 5, stepMs: 10 * MIN, perFamily: 1 }));
  assert.notDeepEqual(a[0]!.samples, generateTraces({ seed: 6, stepMs: 10 * MIN, perFamily: 1 })[0]!.samples);
  for (const tr of a) {
    const first = tr.samples.find((s) => s.v >= tr.limit);
    assert.equal(tr.crossAt, first ? first.t : null, tr.name);
    assert.equal(tr.crossAt === null, tr.family.startsWith('stable') || tr.family === 'gpu-stable', tr.name);
    if (tr.crossAt === null) assert.ok(tr.samples.length * 10 * MIN >= 7 * 24 * HOUR, `${tr.name} lasts a week`);
  }
});

function ramp(stepAt: number, size: number): { t: number; v: number }[] {
  const noise = gaussian(mulberry32(3));
  return Array.from({ length: 200 }, (_, i) => ({ t: i * 5 * MIN, v: 40 + 0.5 * (i / 12) + (i >= stepAt ? size : 0) + 0.2 * noise() }));
}

test('a step towards the limit moves the level and keeps the slope; without shift handling the slope is inflated', () => {
  const fit = (shiftPoints: number) => {
    const f = new TimeToLimitForecaster({ limit: 95, leadTimeMs: 4 * HOUR, windowPoints: 144, shiftPoints, seasonMs: 0 });
    for (const s of ramp(150, 10)) f.update(s);
    return f.forecast();
  };
  const kept = fit(6);
  assert.ok(Math.abs(kept.slopePerHour - 0.5) < 0.1, `slope ${kept.slopePerHour} (true 0.5/h)`);
  assert.ok(Math.abs(kept.level - (40 + 0.5 * (199 / 12) + 10)) < 1, `level ${kept.level}`);
  assert.ok(fit(0).slopePerHour > 1, `without shift handling ${fit(0).slopePerHour}`);
});

test('a forecaster restored mid-run (seasonal history included) continues exactly as the uninterrupted one', () => {
  const tr = generateTraces({ seed: 9, stepMs: 10 * MIN, perFamily: 1, families: ['disk-fill-daily'] })[0]!;
  const cfg = { ...LIMIT_FORECAST_SETTINGS, limit: tr.limit, leadTimeMs: 3.2 * HOUR, windowPoints: 72 };
  const whole = new TimeToLimitForecaster(cfg);
  const wholeRisks = tr.samples.map((s) => whole.update(s));
  const cut = Math.floor(tr.samples.length * 0.6);
  const first = new TimeToLimitForecaster(cfg);
  tr.samples.slice(0, cut).forEach((s) => first.update(s));
  const resumed = TimeToLimitForecaster.restore(cfg, JSON.parse(JSON.stringify(first.state())));
  assert.deepEqual(
    tr.samples.slice(cut).map((s) => resumed.update(s)),
    wholeRisks.slice(cut),
  );
});

test('a disk that fills faster by day is warned about before its daily peak reaches the limit', () => {
  const o = { stepMs: 10 * MIN, horizonMs: 4 * HOUR, windowMs: 12 * HOUR };
  for (const tr of generateTraces({ seed: 11, stepMs: o.stepMs, perFamily: 3, families: ['disk-fill-daily'] })) {
    const s = scoreWarnings(ourWarnings(tr, o), tr.crossAt, o.horizonMs);
    assert.ok(s.leadMs !== null && s.leadMs >= HOUR, `${tr.name}: lead ${s.leadMs}`);
  }
});

test("the seasonal forecast's bins: the integer fast path puts every time where the remainder does (bin edges, negative times, fractional periods)", () => {
  const remainderBin = (t: number, period: number, bins: number): number =>
    Math.min(bins - 1, Math.floor(((((t % period) + period) % period) / period) * bins));
  const day = 86_400_000;
  for (const [period, bins] of [
    [day, 48],
    [day, 7],
    [1000.5, 3],
    [3, 2],
  ] as const) {
    const times = [0, 1, -1, period, -period, 2 ** 51, -(2 ** 51) + 1, 1_736_121_600_000, 0.25, -0.25];
    for (let k = -3; k <= 3; k++) for (let b = 0; b <= bins; b++) for (const d of [-1, 0, 1]) times.push(Math.round(k * period + (b * period) / bins) + d);
    for (const t of times) {
      const g = new SeasonalGrowth(period, bins, 10);
      g.observe(t, 1);
      const bin = g.state().cur.findIndex((c) => c.n === 1);
      assert.equal(bin, remainderBin(t, period, bins), `t=${t} period=${period} bins=${bins}`);
      assert.equal(g.state().cur[bin]!.period, Math.floor(t / period));
    }
  }
});
