import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import YAML from 'yaml';
import type { Logger } from '../../src/common/logger';
import type { LocalStackPortOverrides } from '../../src/stack/stack-ports';
import { freePorts } from '../../src/stack/ports';
import { seaweedPortsFrom } from '../../src/stack/seaweed';
import type { LocalStackEndpoints } from '../../src/stack/stack-endpoints';
import { CLI_JS } from './stack';

/** Free ports for every listener of a local stack (tests never use the fixed ones). */
export async function freeStackPorts(): Promise<LocalStackPortOverrides> {
  const [temporal, temporalHttp, temporalMetrics, temporalUi, ...sw] = await freePorts(14);
  return { temporal, temporalHttp, temporalMetrics, temporalUi, seaweed: seaweedPortsFrom(sw) };
}

/** A logger whose lines (parsed JSON) the test can read, like the stack's console. */
export function capturedLog(): { log: Logger; lines: { level: number; msg: string; [k: string]: unknown }[]; text: () => string } {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { log, lines, text: () => lines.map((l) => l.msg).join('\n') };
}

/** Polls f until it returns something other than undefined (the deadline only guards a hung test). */
export async function waitFor<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A plan for a worker on the stack: its local S3 repository, ad-hoc backups inside dir. */
export function writeStackPlan(file: string, ep: LocalStackEndpoints, o: { taskQueue: string; dir: string; endpoint?: string }): void {
  const plan = {
    version: 1,
    repository: {
      url: 's3://lepton-dr/repo',
      endpoint: o.endpoint ?? ep.s3Endpoint,
      region: ep.region,
      pathStyle: true,
      keyFile: path.join(o.dir, 'repository.key'),
    },
    temporal: { address: ep.temporalAddress, namespace: ep.namespace, taskQueue: o.taskQueue },
    roots: { sources: [o.dir], targets: [o.dir] },
  };
  fs.writeFileSync(file, YAML.stringify(plan));
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI without blocking this process (a stack started here keeps supervising meanwhile). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_JS, ...args], { env, encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}
