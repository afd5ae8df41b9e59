import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { DEFAULT_OPTIONS } from '../../chaos/args';
import { runChaos, type ChaosRun } from '../../chaos/run';

// The chaos harness at its CI size (`npm run chaos` with the defaults): real Temporal dev
// server, real SeaweedFS behind the fault proxy, two worker processes, kill -9, a server restart.
// A failure names the seed and scenario that reproduce it: npm run chaos -- --seed N.
// LEPTON_DR_CHAOS=0 leaves it out (a quick local run); CI runs it.
const ENABLED = process.env.LEPTON_DR_CHAOS !== '0';
const SEED = Number(process.env.LEPTON_DR_CHAOS_SEED ?? DEFAULT_OPTIONS.seed);
let run: ChaosRun;
const logFile = path.join(os.tmpdir(), `lepton-chaos-test-${process.pid}.log`);

before(
  async () => {
    if (!ENABLED) return;
    const lines: string[] = [];
    run = await runChaos({ ...DEFAULT_OPTIONS, seed: SEED }, (l) => lines.push(l));
    fs.writeFileSync(logFile, `${lines.join('\n')}\n${run.table}\n`);
  },
  { timeout: 240_000 },
);

const findings = (kinds: string[]) => run.ledger.findings.filter((f) => kinds.includes(f.kind)).map((f) => `[scenario ${f.scenario}] ${f.kind}: ${f.detail}`);

const skip = ENABLED ? false : 'LEPTON_DR_CHAOS=0';

test('no interleaving of backups, prunes, kills, a server restart and S3 faults loses or corrupts a committed snapshot', { skip }, () => {
  assert.ok(run.report.snapshotsCommitted > 0, `nothing committed (log: ${logFile})`);
  assert.ok(run.ledger.counters.restoresChecked > 0);
  assert.deepEqual(findings(['lost', 'corrupt', 'verify', 'bad-restore-reported-ok']), [], `seed ${SEED}; log: ${logFile}\n${run.table}`);
});

test('every run ends: none is stuck past its time budget', { skip }, () => {
  assert.deepEqual(findings(['stuck']), [], `seed ${SEED}; log: ${logFile}`);
});

test('nothing is left under tmp/ once the runs are over', { skip }, () => {
  assert.deepEqual(findings(['tmp-leftover']), [], `seed ${SEED}; log: ${logFile}`);
});
