import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { runInPty } from '../helpers/pty';
import { CLI_JS } from '../helpers/stack';
import { startTemporal, type TemporalDev } from '../helpers/temporal';

/** `lepton-dr worker` as a person sees it on a terminal (short lines), and as a log collector sees it through a pipe (JSON). */

let dir: string;
let temporal: TemporalDev;
let planFile: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-logtty-'));
  temporal = await startTemporal();
  planFile = path.join(dir, 'plan.yaml');
  fs.writeFileSync(
    planFile,
    YAML.stringify({
      version: 1,
      repository: { url: `file://${path.join(dir, 'repo')}`, keyFile: path.join(dir, 'repository.key') },
      temporal: { address: temporal.address, taskQueue: `lepton-logtty-${process.pid}` },
    }),
  );
});

after(async () => {
  await temporal?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const { LEPTON_DR_LOG_FORMAT: _drop, LEPTON_DR_LOG_LEVEL: _level, ...rest } = process.env;
  return { ...rest, LEPTON_DR_LOG_LEVEL: 'info', ...extra };
};
const argv = [process.execPath, CLI_JS, '--plan', '', 'worker'];
const cli = () => argv.map((a) => a || planFile);

test('on a terminal the CLI prints short human lines: time, level, component, message, key fields', async () => {
  const out = await runInPty(cli(), { env: env(), until: 'worker started' });
  const started = out.split('\n').find((l) => l.includes('worker started'));
  assert.ok(started, out);
  // e.g. "12:04:05.123 INFO  worker worker started  taskQueue=lepton-logtty-1 namespace=default address=127.0.0.1:7233 security=plaintext ..."
  assert.match(started, /^\d\d:\d\d:\d\d\.\d{3} \x1b\[32mINFO \x1b\[0m worker worker started {2}taskQueue=lepton-logtty-\d+ /);
  assert.ok(started.includes(`address=${temporal.address}`));
  assert.ok(started.includes('security=plaintext'));
  assert.ok(!out.includes('{"level"'), 'no JSON on the terminal');
  assert.match(out, /INFO .* worker worker stopped/, 'Ctrl-C stops it, and says so');
});

test('through a pipe the same run writes JSON lines; LEPTON_DR_LOG_FORMAT overrides both ways', async () => {
  const run = (extra: Record<string, string>) =>
    new Promise<string>((resolve, reject) => {
      const p = spawn(cli()[0], cli().slice(1), { env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let interrupted = false;
      p.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        if (!interrupted && out.includes('worker started')) interrupted = p.kill('SIGINT'); // once: a second Ctrl-C means "now"
      });
      p.once('error', reject);
      p.once('close', () => resolve(out));
    });
  const piped = await run({});
  const lines = piped.trim().split('\n');
  const records = lines.map((l) => JSON.parse(l) as { msg: string; component?: string; level: number });
  assert.ok(
    records.some((r) => r.msg === 'worker started' && r.component === 'worker' && r.level === 30),
    piped,
  );
  assert.ok(records.some((r) => r.msg === 'worker stopped'));
  const forced = await run({ LEPTON_DR_LOG_FORMAT: 'pretty' });
  assert.match(forced, /^\d\d:\d\d:\d\d\.\d{3} INFO  worker worker started /m, 'pretty on request, without colour off a terminal');
  const json = await runInPty(cli(), { env: env({ LEPTON_DR_LOG_FORMAT: 'json' }), until: 'worker started' });
  assert.ok(
    json.split('\n').some((l) => l.startsWith('{') && (JSON.parse(l) as { msg: string }).msg === 'worker started'),
    json,
  );
});
