import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { EngineJob, EngineJobResult } from '../../bench/engine-child';
import { describeTree, makeAssetTree } from '../helpers/tree-fixture';
import { startSeaweed, type Seaweed } from '../helpers/seaweed';
import { CLI_JS, DIST_ROOT } from '../helpers/stack';

// What users run is dist/bundle/*.js (scripts/bundle-entries.js): one file for our code and the
// packages, the Temporal SDK loaded from node_modules, the chunk threads started from the bundle's folder.

let dir: string;
let seaweed: Seaweed;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-bundle-'));
  seaweed = await startSeaweed({ bucket: 'bundled', accessKeyId: 'bundle-key', secretAccessKey: 'bundle-secret' });
});
after(async () => {
  await seaweed?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The files a run of `node <args>` loaded from node_modules, by package. */
function loadedPackages(args: string[]): { code: number | null; stderr: string; packages: Set<string> } {
  const preload = path.join(dir, 'list-modules.js');
  const list = path.join(dir, `modules-${randomBytes(4).toString('hex')}.json`);
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`,
  );
  const r = spawnSync(process.execPath, ['-r', preload, ...args], { encoding: 'utf8', timeout: 60_000 });
  const files = JSON.parse(fs.readFileSync(list, 'utf8')) as string[];
  const packages = new Set(files.flatMap((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1] ?? []));
  return { code: r.status, stderr: r.stderr, packages };
}

test('the bundled CLI loads only the Temporal SDK from node_modules, and only what the command needs', () => {
  const help = loadedPackages([CLI_JS, 'backup', '--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const p of ['@aws-sdk/client-s3', 'zod', 'yaml', 'commander', 'pino']) assert.ok(!help.packages.has(p), `${p} was loaded from node_modules`);
  // backup talks to Temporal through the client; the worker (and its webpack, rxjs, ...) stays unloaded
  assert.ok(help.packages.has('@temporalio/client'));
  assert.ok(!help.packages.has('@temporalio/worker'), 'backup --help loaded the Temporal worker');
  const all = loadedPackages([CLI_JS, '--help']);
  assert.equal(all.code, 0, all.stderr);
  assert.ok(all.packages.has('@temporalio/worker'), 'the full help lists the worker command, which loads the worker');
});

test('the bundled engine process backs up with its chunk threads and restores', () => {
  const src = path.join(dir, 'src');
  makeAssetTree(src, { largeFiles: 1, largeSize: 3 * 1024 * 1024, smallFiles: 30 });
  const child = path.join(DIST_ROOT, 'bundle', 'engine-child.js');
  const base = {
    endpoint: seaweed.endpoint,
    region: seaweed.region,
    bucket: seaweed.bucket,
    prefix: 'repo',
    accessKeyId: seaweed.accessKeyId,
    secretAccessKey: seaweed.secretAccessKey,
    keyHex: randomBytes(32).toString('hex'),
    asset: 'models',
    packSizeMiB: 4,
    password: 'bundle-password',
    compression: 'auto' as const,
  };
  const run = (job: EngineJob): { result: EngineJobResult; packages: Set<string> } => {
    const r = loadedPackages([child, JSON.stringify(job)]);
    assert.equal(r.code, 0, r.stderr);
    return { result: JSON.parse(fs.readFileSync(job.resultFile, 'utf8')) as EngineJobResult, packages: r.packages };
  };
  const b = run({ ...base, op: 'backup', source: src, chunkThreads: 2, resultFile: path.join(dir, 'backup.json') });
  assert.deepEqual([...b.packages], [], 'the engine process loaded packages from node_modules');
  assert.ok((b.result.snapshot?.stats.filesRead ?? 0) > 30, 'the chunk threads read the files');
  const target = path.join(dir, 'restored');
  const r = run({ ...base, op: 'restore', target, resultFile: path.join(dir, 'restore.json') });
  assert.equal(r.result.restore?.files, b.result.snapshot?.stats.files);
  assert.deepEqual(describeTree(target), describeTree(src));
});
