import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { spawnServer } from '../../src/stack/process';
import { ServerSupervisor, type SupervisedServer } from '../../src/stack/server-supervisor';
import { capturedLog, waitFor } from '../helpers/local-stack';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-server-sup-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A real process that prints a cause and exits with code 3 at once, like a server on a broken state. */
function brokenServer(logFile: string): SupervisedServer {
  const server = spawnServer(process.execPath, ['-e', 'console.error("FATAL: database disk image is malformed"); process.exit(3)'], { logFile });
  return { server, stop: (g?: number) => server.stop(g) };
}

test('a server that keeps dying right after its start is given up on, with how it died and its log', async () => {
  const logFile = path.join(dir, 'broken.log');
  const { log, lines } = capturedLog();
  let gaveUp: string | undefined;
  let launches = 0;
  const sup = new ServerSupervisor(brokenServer(logFile), {
    name: 'Broken server',
    keeps: 'data /nowhere',
    launch: async () => {
      launches++;
      return brokenServer(logFile);
    },
    log,
    backoffMs: 1,
    maxQuickFailures: 3,
    onGiveUp: (m) => (gaveUp = m),
  });
  const message = await waitFor('giving up', () => gaveUp);
  await sup.stop();
  assert.equal(launches, 2, 'two restarts, then the third quick death gives up');
  assert.match(message, /Broken server keeps dying \(3 times in a row within 10 s of starting; last exited with code 3 \(up \d+\.\d s\)\)/);
  assert.match(message, /giving up/);
  assert.match(message, /database disk image is malformed/, 'the end of its log says why');
  assert.ok(
    lines.some((l) => l.level === 60 && l.msg === message),
    'logged as fatal',
  );
  assert.equal(
    lines.filter((l) => /^Broken server \(pid \d+\) exited with code 3 \(up \d+\.\d s\); restarting it with the same state \(data \/nowhere\)/.test(l.msg))
      .length,
    3,
  );
});

test('a restart that fails counts as a quick death; a healthy restart is reported as back', async () => {
  const logFile = path.join(dir, 'flaky.log');
  const { log, lines } = capturedLog();
  let attempt = 0;
  let restarted: SupervisedServer | undefined;
  const first = brokenServer(logFile);
  const sup = new ServerSupervisor(first, {
    name: 'Flaky server',
    keeps: 'port 1',
    launch: async () => {
      attempt++;
      if (attempt === 1) throw new Error('port 1 is not available\nmore detail');
      const server = spawnServer(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { logFile });
      return { server, stop: (g?: number) => server.stop(g) };
    },
    log,
    backoffMs: 1,
    onRestart: (s) => (restarted = s),
  });
  const back = await waitFor('the restart', () => restarted);
  assert.equal(sup.current, back);
  assert.equal(sup.restarts, 1);
  assert.ok(lines.some((l) => l.msg === 'Flaky server failed to start again: port 1 is not available'));
  assert.ok(lines.some((l) => new RegExp(`^Flaky server is back \\(pid ${back.server.pid}, healthy after \\d+ ms\\)$`).test(l.msg)));
  await sup.stop(0);
  assert.notEqual(back.server.exitStatus, undefined, 'stop() stops the server running now');
});
