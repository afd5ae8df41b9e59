import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ChunkPool } from '../../src/engine/chunker/pool';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { ExactMtimes } from '../../src/engine/fs/mtimes';
import { Repository } from '../../src/engine/repo/repository';
import { FsStore } from '../../src/engine/store/fs-store';
import { finishRestore } from '../../src/engine/restore/finish-restore';
import { planRestore } from '../../src/engine/restore/plan-restore';
import { runRestoreBatch } from '../../src/engine/restore/run-restore-batch';

let tmp: string;
let pool: ChunkPool;
let fakeBin: string;
const key = Buffer.alloc(32, 5);
const realPython = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-mtimes-'));
  pool = new ChunkPool(1);
  // a python3 that notes every start, and waits for the gate file when one is named
  fakeBin = path.join(tmp, 'bin');
  fs.mkdirSync(fakeBin);
  fs.writeFileSync(
    path.join(fakeBin, 'python3'),
    `#!/bin/sh\necho start >> "$LDR_TEST_PY_LOG"\nif [ -n "$LDR_TEST_PY_GATE" ]; then while [ ! -e "$LDR_TEST_PY_GATE" ]; do sleep 0.01; done; fi\nexec ${realPython} "$@"\n`,
    { mode: 0o755 },
  );
});
after(async () => {
  await pool.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function withFakePython<T>(env: { log: string; gate?: string }, fn: () => Promise<T>): Promise<T> {
  const saved = { PATH: process.env.PATH, LOG: process.env.LDR_TEST_PY_LOG, GATE: process.env.LDR_TEST_PY_GATE };
  process.env.PATH = `${fakeBin}:${saved.PATH ?? ''}`;
  process.env.LDR_TEST_PY_LOG = env.log;
  if (env.gate) process.env.LDR_TEST_PY_GATE = env.gate;
  else delete process.env.LDR_TEST_PY_GATE;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved.PATH;
    for (const [k, v] of [
      ['LDR_TEST_PY_LOG', saved.LOG],
      ['LDR_TEST_PY_GATE', saved.GATE],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

const starts = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);
const mtimeNs = (p: string) => fs.lstatSync(p, { bigint: true }).mtimeNs;

test('a restore of many batches sets every exact nanosecond mtime through one python3 process', async () => {
  const src = path.join(tmp, 'src');
  const names: string[] = [];
  for (const d of ['a', 'b', 'c']) {
    fs.mkdirSync(path.join(src, d), { recursive: true });
    for (let i = 0; i < 4; i++) names.push(path.join(d, `f${i}`));
  }
  names.forEach((n, i) => {
    const f = path.join(src, n);
    fs.writeFileSync(f, `file ${n}`);
    // nanoseconds a double cannot carry
    const ns = 1_700_000_000_123_456_789n + BigInt(i) * 1_000_003n;
    execFileSync(realPython, ['-c', `import os; os.utime(${JSON.stringify(f)}, ns=(${ns}, ${ns}))`]);
  });
  fs.symlinkSync('a/f0', path.join(src, 'link'));
  const repo = await Repository.open(new FsStore(path.join(tmp, 'repo')), key, { create: true });
  await backupDirect(repo, { asset: 'm', source: src, strategy: 'full' }, pool);

  const log = path.join(tmp, 'starts-restore.log');
  const out = path.join(tmp, 'out');
  const outcome = await withFakePython({ log }, () => restoreDirect(repo, { asset: 'm', snapshot: { latest: true }, target: out, batchFiles: 3 }));
  assert.deepEqual(outcome.warnings ?? [], []);
  assert.equal(starts(log), 1, 'four batches, the links and the folders: one python3 process');
  for (const n of [...names, 'a', 'b', 'c', 'link']) assert.equal(mtimeNs(path.join(out, n)), mtimeNs(path.join(src, n)), n);
});

test('settled() resolves only once every entry queued before it is set', async () => {
  const f = path.join(tmp, 'gated');
  fs.writeFileSync(f, 'x');
  const gate = path.join(tmp, 'gate');
  const log = path.join(tmp, 'starts-gated.log');
  await withFakePython({ log, gate }, async () => {
    const exact = new ExactMtimes();
    let closed: Promise<string | undefined> | undefined;
    try {
      await exact.add([{ abs: f, mtimeNs: '1700000000987654321' }]);
      let gateOpen = false;
      let early = false;
      const settled = exact.settled().then(() => {
        early = !gateOpen;
      });
      // python3 cannot have set anything yet: it waits for the gate
      await new Promise((r) => setImmediate(r));
      gateOpen = true;
      fs.writeFileSync(gate, '');
      await settled;
      assert.equal(early, false, 'settled() waited for python3');
      assert.equal(mtimeNs(f), 1700000000987654321n, 'set before close()');
    } finally {
      fs.writeFileSync(gate, '');
      closed = exact.close();
    }
    assert.equal(await closed, undefined);
  });
  assert.equal(starts(log), 1);
});

test('an ExactMtimes that is never given an entry starts no process', async () => {
  const log = path.join(tmp, 'starts-none.log');
  await withFakePython({ log }, async () => {
    const exact = new ExactMtimes();
    await exact.settled();
    assert.equal(await exact.close(), undefined);
  });
  assert.equal(starts(log), 0);
});

/** A source of small files and one of several chunks, each with nanoseconds a double cannot carry; backed up once. */
async function nsSource(name: string): Promise<{ src: string; repo: Repository; names: string[] }> {
  const src = path.join(tmp, name);
  const names = ['a/one', 'a/two', 'b/empty', 'b/big'];
  for (const [i, n] of names.entries()) {
    const f = path.join(src, n);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, n === 'b/big' ? Buffer.alloc(3 * 1024 * 1024, i + 1) : n === 'b/empty' ? '' : `file ${n}`);
    const ns = 1_700_000_000_123_456_789n + BigInt(i) * 7_000_001n;
    execFileSync(realPython, ['-c', `import os; os.utime(${JSON.stringify(f)}, ns=(${ns}, ${ns}))`]);
  }
  const repo = await Repository.open(new FsStore(path.join(tmp, `${name}-repo`)), key, { create: true });
  await backupDirect(repo, { asset: 'm', source: src, strategy: 'full' }, pool);
  return { src, repo, names };
}

test('a restore batch sets its files exact nanosecond mtimes itself, also those an earlier attempt finished', async () => {
  const { src, repo, names } = await nsSource('src-batch');
  const plan = await planRestore(repo, { restoreId: 'r-batch', asset: 'm', snapshot: { latest: true }, target: path.join(tmp, 'out-batch') });
  assert.equal(plan.batches, 1);
  const first = await runRestoreBatch(repo, { restoreId: 'r-batch', batch: 0, pool });
  assert.deepEqual(first.warnings ?? [], []);
  for (const n of names) assert.equal(mtimeNs(path.join(plan.staging, n)), mtimeNs(path.join(src, n)), `${n}, before the finish step`);

  // an attempt that stopped after reporting every file done, before python3 set their mtimes
  for (const n of names) fs.utimesSync(path.join(plan.staging, n), 1_700_000_000.5, 1_700_000_000.5);
  const again = await runRestoreBatch(repo, { restoreId: 'r-batch', batch: 0, pool, resumeCompleted: first.completed });
  assert.equal(again.filesDone, names.length);
  for (const n of names) assert.equal(mtimeNs(path.join(plan.staging, n)), mtimeNs(path.join(src, n)), `${n}, after the resumed attempt`);
});

test('the finish step sets the exact mtime of every file whose batch left it inexact (a batch run by an older worker)', async () => {
  const { src, repo, names } = await nsSource('src-finish');
  const target = path.join(tmp, 'out-finish');
  const plan = await planRestore(repo, { restoreId: 'r-finish', asset: 'm', snapshot: { latest: true }, target });
  await runRestoreBatch(repo, { restoreId: 'r-finish', batch: 0, pool });
  fs.utimesSync(path.join(plan.staging, 'a/two'), 1_700_000_000.5, 1_700_000_000.5);
  const out = await finishRestore(repo, 'r-finish');
  assert.deepEqual(out.warnings ?? [], []);
  for (const n of names) assert.equal(mtimeNs(path.join(target, n)), mtimeNs(path.join(src, n)), n);
});
