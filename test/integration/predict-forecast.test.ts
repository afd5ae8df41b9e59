import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { PrometheusServer } from '../../src/demo/prometheus';
import { compareOnTraces, ourWarnings, predictLinearWarnings, summariseComparison } from '../../src/predict/eval/forecast-eval';
import { prometheusWithTraces } from '../../src/predict/eval/forecast-prometheus';
import { scoreWarnings } from '../../src/predict/eval/forecast-score';
import { generateTraces } from '../../src/predict/eval/forecast-traces';

/**
 * Time-to-limit warnings against the real thing: labelled traces loaded into a TSDB by promtool,
 * predict_linear evaluated by the real Prometheus over HTTP, our forecaster at the same horizon
 * and window. A small set (2 traces per family, 10 min step) so it runs in seconds; the full
 * table is `lepton-dr predict forecast-eval`.
 */
const HOUR = 3600_000;
const O = { stepMs: 10 * 60_000, horizonMs: 4 * HOUR, windowMs: 12 * HOUR };
const traces = generateTraces({ seed: 2, stepMs: O.stepMs, perFamily: 2 });
let dir: string;
let prom: PrometheusServer;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-forecast-'));
  prom = await prometheusWithTraces(dir, traces);
});
after(async () => {
  await prom?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('Prometheus serves the promtool-loaded traces: predict_linear fires on a filling disk before it is full', { timeout: 60_000 }, async () => {
  const fill = traces.find((t) => t.family === 'disk-fill')!;
  const pl = scoreWarnings(await predictLinearWarnings(prom.url, fill, O), fill.crossAt, O.horizonMs);
  assert.ok(pl.leadMs !== null && pl.leadMs >= HOUR, `predict_linear lead ${pl.leadMs}`);
  const flat = traces.find((t) => t.family === 'stable-flat')!;
  assert.deepEqual(scoreWarnings(await predictLinearWarnings(prom.url, flat, O), flat.crossAt, O.horizonMs), { leadMs: null, falseAlarms: 0, episodes: 0 });
});

test(
  'ours warns at least 1 h before the limit on every filling trace, never on a stable week, with fewer false alarms than predict_linear',
  { timeout: 60_000 },
  async () => {
    const rows = await compareOnTraces(prom.url, traces, O);
    assert.equal(rows.length, traces.length);
    for (const r of rows) {
      if (r.crossAt !== null) assert.ok(r.ours.leadMs !== null && r.ours.leadMs >= HOUR, `${r.trace}: our lead ${r.ours.leadMs}`);
      else assert.equal(r.ours.falseAlarms, 0, `${r.trace}: our false alarms on a stable week`);
    }
    const g = summariseComparison(rows);
    assert.equal(g.ours.missed, 0);
    assert.equal(g.ours.stableFalseAlarms, 0);
    assert.ok(g.predictLinear.falseAlarms > 0, 'the set has traces predict_linear gets wrong');
    assert.ok(g.ours.falseAlarms < g.predictLinear.falseAlarms, `false alarms: ours ${g.ours.falseAlarms}, predict_linear ${g.predictLinear.falseAlarms}`);
    // ours is the forecaster the loop runs: the same warnings from the trace alone
    const stable = traces.find((t) => t.family === 'stable-daily')!;
    assert.ok(ourWarnings(stable, O).every((p) => !p.on));
  },
);
