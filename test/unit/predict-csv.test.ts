import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { formatTimestamp, parseCsv, parseTimestamp } from '../../src/predict/sources/csv';
import { scoreCsv } from '../../src/predict/eval/score-file';
import { evaluateCorpus, scoreValues } from '../../src/predict/eval/evaluate';

test('timestamps: NAB, ISO and epoch forms', () => {
  assert.equal(parseTimestamp('2014-04-10 07:15:00'), Date.UTC(2014, 3, 10, 7, 15));
  assert.equal(parseTimestamp('2014-04-10 07:15:00.000000'), Date.UTC(2014, 3, 10, 7, 15));
  assert.equal(parseTimestamp('2014-04-10T07:15:00+02:00'), Date.UTC(2014, 3, 10, 5, 15));
  assert.equal(parseTimestamp('1700000000'), 1_700_000_000_000);
  assert.equal(parseTimestamp('1700000000000'), 1_700_000_000_000);
  assert.ok(Number.isNaN(parseTimestamp('yesterday')));
  assert.equal(formatTimestamp(Date.UTC(2014, 3, 10, 7, 15)), '2014-04-10 07:15:00');
  const c = parseCsv('timestamp,value\n2014-04-10 07:15:00,1.5\n2014-04-10 07:20:00,\n');
  assert.deepEqual(Array.from(c.timestamps), [Date.UTC(2014, 3, 10, 7, 15), Date.UTC(2014, 3, 10, 7, 20)]);
  assert.equal(c.values[0], 1.5);
  assert.ok(Number.isNaN(c.values[1]!));
});

function makeCsv(n: number, jumpAt: number): string {
  const lines = ['timestamp,value'];
  for (let i = 0; i < n; i++) lines.push(`${formatTimestamp(Date.UTC(2024, 0, 1) + i * 300_000)},${(i >= jumpAt ? 80 : 20) + ((i * 7919) % 11)}`);
  return `${lines.join('\n')}\n`;
}

test('scoreCsv writes timestamp,value,anomaly_score causally and equals scoreValues', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'predict-csv-'));
  try {
    const file = join(dir, 'a.csv');
    writeFileSync(file, makeCsv(1000, 800));
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const summary = await scoreCsv(file, out);
    const text = Buffer.concat(chunks).toString('utf8').trim().split('\n');
    assert.equal(text[0], 'timestamp,value,anomaly_score');
    assert.equal(text.length, 1001);
    assert.equal(summary.rows, 1000);
    assert.equal(summary.warmup, 150);
    const scores = text.slice(1).map((l) => Number(l.split(',')[2]));
    assert.ok(
      scores.slice(0, 150).every((s) => s === 0),
      'nothing during the warm-up',
    );
    assert.ok(scores[800]! >= 0.5, `the jump is flagged: ${scores[800]}`);
    // causal: scoring a prefix gives the same scores
    const c = readFileSync(file, 'utf8').trim().split('\n');
    const ts = c.slice(1, 901).map((l) => Date.parse(`${l.split(',')[0]!.replace(' ', 'T')}Z`));
    const vs = c.slice(1, 901).map((l) => Number(l.split(',')[1]));
    const prefix = scoreValues(ts, vs, { scorer: { warmup: 150 } });
    assert.deepEqual(Array.from(prefix), scores.slice(0, 900));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('evaluateCorpus scores a tiny labelled corpus', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'predict-eval-'));
  try {
    writeFileSync(join(dir, 'a.csv'), makeCsv(1000, 800));
    writeFileSync(join(dir, 'b.csv'), makeCsv(1000, 2000));
    const start = formatTimestamp(Date.UTC(2024, 0, 1) + 780 * 300_000);
    const end = formatTimestamp(Date.UTC(2024, 0, 1) + 830 * 300_000);
    writeFileSync(join(dir, 'windows.json'), JSON.stringify({ 'a.csv': [[start, end]], 'b.csv': [] }));
    const r = await evaluateCorpus({ dataDir: dir, windowsFile: join(dir, 'windows.json') });
    assert.deepEqual(r.files, ['a.csv', 'b.csv']);
    const p = r.report.profiles.standard;
    assert.equal(p.truePositives, 1);
    assert.equal(p.falsePositives, 0);
    assert.ok(p.score > 60, `score ${p.score}`);
    assert.ok(p.meanLeadBeforeEndMs! > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
