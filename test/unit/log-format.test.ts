import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseLogFormat, formatLogLine, MAX_FIELDS, prettyDestination } from '../../src/common/log-format';

const line = (o: Record<string, unknown>) => JSON.stringify({ level: 30, time: '2026-12-01T12:04:05.123Z', pid: 42, name: 'lepton-dr', ...o });

test('a pino line reads as time, level, component, message and a few fields', () => {
  assert.equal(
    formatLogLine(line({ component: 'stack', ui: 'http://127.0.0.1:8233', worker: 4242, msg: 'local stack ready' })),
    '12:04:05.123 INFO  stack  local stack ready  ui=http://127.0.0.1:8233 worker=4242\n',
  );
  assert.equal(
    formatLogLine(line({ level: 40, component: 'worker', msg: 'metrics: cannot list snapshots', err: 'connection refused' })),
    '12:04:05.123 WARN  worker metrics: cannot list snapshots  err="connection refused"\n',
  );
  assert.equal(formatLogLine(line({ level: 50, sdk: true, msg: 'x' })), '12:04:05.123 ERROR sdk    x\n');
  assert.equal(
    formatLogLine(line({ level: 60, msg: 'worker failed', err: { type: 'Error', message: 'no plan', stack: 'Error: no plan\n    at ...' } })),
    '12:04:05.123 FATAL        worker failed  err="no plan"\n',
  );
});

test('long values are cut and extra fields counted, so a line stays short', () => {
  const fields = Object.fromEntries(Array.from({ length: MAX_FIELDS + 3 }, (_, i) => [`f${i}`, i]));
  const out = formatLogLine(line({ component: 'x', msg: 'm', ...fields }));
  assert.match(out, /f5=5 \(\+3\)\n$/);
  assert.ok(!out.includes('f6='));
  const long = formatLogLine(line({ msg: 'm', path: 'a'.repeat(200) }));
  assert.ok(long.length < 140, long);
  assert.match(long, /path=a+…\n$/);
  assert.match(formatLogLine(line({ msg: 'm', nested: { a: [1, 2] } })), /nested=\{"a":\[1,2\]\}/);
});

test('a line that is not a JSON object passes through unchanged', () => {
  assert.equal(formatLogLine('plain text'), 'plain text\n');
  assert.equal(formatLogLine('[1,2]\n'), '[1,2]\n');
});

test('colour only on a terminal; several lines in one chunk each formatted', () => {
  const chunks: string[] = [];
  const out = { isTTY: true, write: (s: string) => chunks.push(s) > 0 } as unknown as NodeJS.WritableStream & { isTTY: boolean };
  prettyDestination(out).write(`${line({ level: 40, msg: 'a' })}\n${line({ msg: 'b' })}\n`);
  assert.equal(chunks.length, 1);
  const [a, b] = chunks[0].split('\n');
  assert.match(a, /\x1b\[33mWARN \x1b\[0m/);
  assert.match(b, /\x1b\[32mINFO \x1b\[0m +b$/);
});

test('JSON unless stdout is a terminal; LEPTON_DR_LOG_FORMAT overrides, and a bad value is refused by name', () => {
  assert.equal(chooseLogFormat({}, true), 'pretty');
  assert.equal(chooseLogFormat({}, false), 'json');
  assert.equal(chooseLogFormat({ LEPTON_DR_LOG_FORMAT: 'json' }, true), 'json');
  assert.equal(chooseLogFormat({ LEPTON_DR_LOG_FORMAT: 'pretty' }, false), 'pretty');
  assert.equal(chooseLogFormat({ LEPTON_DR_LOG_FORMAT: '' }, false), 'json');
  assert.throws(() => chooseLogFormat({ LEPTON_DR_LOG_FORMAT: 'text' }, true), /LEPTON_DR_LOG_FORMAT: must be "json" or "pretty"/);
});
