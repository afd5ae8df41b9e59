import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY_LOG_CURSOR, countLogMatches } from '../../src/predict/sources/log-counter';
import type { LogCounterConfig, LogCursor } from '../../src/predict/sources/log-counter';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const ts = (ms: number) => new Date(ms).toISOString();

function setup(): { dir: string; path: string; cfg: LogCounterConfig } {
  const dir = mkdtempSync(join(tmpdir(), 'predict-log-'));
  const path = join(dir, 'kern.log');
  const cfg: LogCounterConfig = {
    path,
    intervalMs: MIN,
    timestampRegex: '^(\\S+)',
    patterns: [
      { name: 'xid', regex: 'NVRM: Xid' },
      { name: 'oom', regex: 'Out of memory', flags: 'i' },
    ],
  };
  return { dir, path, cfg };
}

const line = (t: number, text: string) => `${ts(t)} ${text}\n`;
const series = (samples: Record<string, Array<{ t: number; v: number }>>, name: string) => samples[name]!.map((s) => [(s.t - T0) / MIN, s.v]);

test('counts matches per interval from line timestamps, emitting closed intervals with zeros', async () => {
  const { dir, path, cfg } = setup();
  try {
    writeFileSync(
      path,
      line(T0 + 1000, 'NVRM: Xid 79 GPU fell off the bus') + line(T0 + 2000, 'kernel: out of memory: Killed process 42') + line(T0 + 3000, 'ok'),
    );
    appendFileSync(path, line(T0 + 2 * MIN + 5, 'NVRM: Xid 48') + line(T0 + 2 * MIN + 6, 'NVRM: Xid 48'));
    appendFileSync(path, `${ts(T0 + 3 * MIN)} NVRM: Xid 13 (partial`); // incomplete last line
    const r1 = await countLogMatches(cfg, { ...EMPTY_LOG_CURSOR, openStart: T0 }, T0 + 3 * MIN + 10);
    assert.deepEqual(series(r1.samples, 'xid'), [
      [0, 1],
      [1, 0],
      [2, 2],
    ]);
    assert.deepEqual(series(r1.samples, 'oom'), [
      [0, 1],
      [1, 0],
      [2, 0],
    ]);
    assert.equal(r1.stats.lines, 5);
    // the partial line waits; completing it counts it once, in its own interval
    appendFileSync(path, ' line)\n' + line(T0 + 3 * MIN + 30, 'Out Of Memory'));
    const cursor = JSON.parse(JSON.stringify(r1.cursor)) as LogCursor;
    const r2 = await countLogMatches(cfg, cursor, T0 + 4 * MIN);
    assert.deepEqual(series(r2.samples, 'xid'), [[3, 1]]);
    assert.deepEqual(series(r2.samples, 'oom'), [[3, 1]]);
    // nothing new: the next interval closes with zeros, and a late line is dropped
    appendFileSync(path, line(T0 + MIN, 'NVRM: Xid 31 (late)'));
    const r3 = await countLogMatches(cfg, r2.cursor, T0 + 5 * MIN);
    assert.deepEqual(series(r3.samples, 'xid'), [[4, 0]]);
    assert.equal(r3.stats.late, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rotation: the rest of the old file is read from <path>.1, then the new file from its start', async () => {
  const { dir, path, cfg } = setup();
  try {
    writeFileSync(path, line(T0, 'NVRM: Xid 1'));
    const r1 = await countLogMatches(cfg, { ...EMPTY_LOG_CURSOR, openStart: T0 }, T0 + 10);
    assert.deepEqual(series(r1.samples, 'xid'), []);
    assert.deepEqual(r1.cursor.openCounts, { xid: 1 });
    appendFileSync(path, line(T0 + 20_000, 'NVRM: Xid 2 (written just before rotation)'));
    renameSync(path, `${path}.1`);
    writeFileSync(path, line(T0 + 40_000, 'NVRM: Xid 3 (new file)') + line(T0 + MIN + 1, 'NVRM: Xid 4'));
    const r2 = await countLogMatches(cfg, r1.cursor, T0 + 2 * MIN);
    assert.equal(r2.stats.rotated, true);
    assert.deepEqual(series(r2.samples, 'xid'), [
      [0, 3],
      [1, 1],
    ]);
    // reading on continues in the new file only
    appendFileSync(path, line(T0 + 2 * MIN + 1, 'NVRM: Xid 5'));
    const r3 = await countLogMatches(cfg, r2.cursor, T0 + 3 * MIN);
    assert.equal(r3.stats.rotated, false);
    assert.deepEqual(series(r3.samples, 'xid'), [[2, 1]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('truncation (copytruncate) and a replaced file are read again from the start; a missing file is no error', async () => {
  const { dir, path, cfg } = setup();
  try {
    writeFileSync(path, line(T0, 'NVRM: Xid 1') + line(T0 + 1, 'NVRM: Xid 2'));
    const r1 = await countLogMatches(cfg, { ...EMPTY_LOG_CURSOR, openStart: T0 }, T0 + MIN);
    assert.deepEqual(series(r1.samples, 'xid'), [[0, 2]]);
    truncateSync(path, 0);
    appendFileSync(path, line(T0 + MIN + 5, 'NVRM: Xid 3'));
    const r2 = await countLogMatches(cfg, r1.cursor, T0 + 2 * MIN);
    assert.equal(r2.stats.truncated, true);
    assert.deepEqual(series(r2.samples, 'xid'), [[1, 1]]);
    // same inode, same size or larger, but different content at the start: a new file
    writeFileSync(path, line(T0 + 2 * MIN + 5, 'Out of memory: Killed process 7') + line(T0 + 2 * MIN + 6, 'padding padding padding'));
    const r3 = await countLogMatches(cfg, r2.cursor, T0 + 3 * MIN);
    assert.equal(r3.stats.truncated, true);
    assert.deepEqual(series(r3.samples, 'oom'), [[2, 1]]);
    rmSync(path);
    const r4 = await countLogMatches(cfg, r3.cursor, T0 + 4 * MIN);
    assert.equal(r4.stats.missing, true);
    assert.deepEqual(series(r4.samples, 'xid'), [[3, 0]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a timestamp pattern, matches count in the interval they were read', async () => {
  const { dir, path, cfg } = setup();
  try {
    writeFileSync(path, 'NVRM: Xid 1\nI/O error\n');
    const r1 = await countLogMatches({ path, intervalMs: MIN }, EMPTY_LOG_CURSOR, T0 + 30_000);
    assert.equal(r1.cursor.openStart, T0);
    assert.deepEqual(r1.cursor.openCounts, { gpu_xid: 1, io_error: 1 });
    const r2 = await countLogMatches({ path, intervalMs: MIN }, r1.cursor, T0 + MIN);
    assert.deepEqual(r2.samples.gpu_xid, [{ t: T0, v: 1 }]);
    assert.deepEqual(r2.samples.oom_kill, [{ t: T0, v: 0 }]);
    assert.ok(cfg);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
