import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeExit } from '../../src/stack/server-supervisor';
import { causeFromLog } from '../../src/stack/worker-process';

test('the cause of a worker start failure is its last error line, not the noise after it', () => {
  const log = [
    '$ node dist/src/worker/main.js --plan plan.yaml',
    JSON.stringify({ level: 30, msg: 'metrics on http://127.0.0.1:9464/metrics' }),
    JSON.stringify({ level: 60, msg: 'worker failed: Could not load credentials from any providers', err: { stack: 'x'.repeat(2000) } }),
    JSON.stringify({ level: 30, msg: 'runtime shutting down' }),
  ].join('\n');
  assert.equal(causeFromLog(log), 'worker failed: Could not load credentials from any providers');
});

test('a log without JSON error lines gives its last line; no log gives nothing', () => {
  assert.equal(causeFromLog('$ node main.js\nError: Cannot find module x\n'), 'Error: Cannot find module x');
  assert.equal(causeFromLog('(no log)'), undefined);
  assert.equal(causeFromLog(''), undefined);
});

test('exits read as English', () => {
  assert.equal(describeExit('code 1'), 'exited with code 1');
  assert.equal(describeExit('signal SIGKILL'), 'was killed by SIGKILL');
  assert.equal(describeExit('spawn error: ENOENT'), 'spawn error: ENOENT');
  assert.equal(describeExit(undefined), 'exited');
});
