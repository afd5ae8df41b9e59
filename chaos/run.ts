import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_KEY } from '../src/engine/repo/layout';
import type { ChaosOptions } from './args';
import { checkRepository } from './checker';
import { Cluster } from './cluster';
import { Ledger } from './ledger';
import { openDirect } from './repo-access';
import { Rng } from './rng';
import { PruneClock } from './prune-clock';
import { runScenario } from './runner';
import { describeScenario, generateScenario } from './scenario';
import { Source } from './sources';
import { formatTable, summarise, type ChaosReport } from './table';

export interface ChaosRun {
  report: ChaosReport;
  table: string;
  ledger: Ledger;
  /** the work folder, kept when the run failed or with --keep */
  dir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One finding per kind of leftover (backup work lists, restore plans, restore done markers, ...) and scenario. */
function reportTmp(ledger: Ledger, scenario: number, keys: string[]): void {
  const kinds = new Map<string, string[]>();
  for (const k of keys) {
    const parts = k.split('/');
    const kind = `${parts.slice(0, 2).join('/')}/*/${parts
      .slice(3)
      .join('/')
      .replace(/[0-9]+/g, 'N')}`;
    kinds.set(kind, [...(kinds.get(kind) ?? []), parts[2]]);
  }
  for (const [kind, ids] of kinds) {
    const runs = [...new Set(ids)];
    ledger.find(
      scenario,
      'tmp-leftover',
      `${ids.length} new object(s) ${kind} left after every run ended (${runs.slice(0, 4).join(', ')}${runs.length > 4 ? ', ...' : ''})`,
    );
  }
}

/** A whole chaos run: start the stack, run the scenarios with a check after each, stop, report. */
export async function runChaos(o: ChaosOptions, print: (line: string) => void = console.log): Promise<ChaosRun> {
  const started = Date.now();
  const log = (line: string) => print(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s ${line}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-chaos-'));
  const rng = new Rng(o.seed);
  const ledger = new Ledger();
  const sharedSeed = rng.int(1, 1e9);
  const names = o.scale >= 2 ? ['alpha', 'beta', 'gamma'] : ['alpha', 'beta'];
  const sources = new Map(names.map((n) => [n, new Source(path.join(dir, 'sources', n), rng.fork(`source-${n}`), { scale: o.scale, sharedSeed })]));
  for (const s of sources.values()) s.create();
  const cluster = new Cluster({
    dir,
    seed: o.seed,
    faultRate: o.faultRate,
    workers: 2,
    assets: names.map((n) => ({ name: n, source: path.join(dir, 'sources', n), keepLast: 3 })),
  });
  const restartIn = new Set([o.scenarios > 1 ? 1 + rng.int(0, o.scenarios - 2) : 0]);
  const clock = new PruneClock();
  const seenTmp = new Set<string>();
  let scenarios = 0;
  log(`chaos: seed ${o.seed}, scale ${o.scale}, ${o.scenarios} scenarios, work folder ${dir}`);
  const revive = setInterval(() => cluster.reviveWorkers(), 1000);
  try {
    await cluster.start();
    await waitForRepository(cluster);
    const ctx = { cluster, ledger, sources, clock, workDir: dir, seed: o.seed, runBudgetMs: 150_000 * o.scale, log, pruneLatency: rng.fork('prune-latency') };
    for (let i = 0; i < o.scenarios; i++) {
      const s = generateScenario(rng.fork(`scenario-${i}`), i, { scale: o.scale, assets: names, restartIn });
      log(`scenario ${i}: ${describeScenario(s)}`);
      await runScenario(ctx, s);
      const repo = await openDirect(cluster.seaweed, cluster.keyFile);
      const c = await checkRepository(repo, ledger, i, dir);
      reportTmp(
        ledger,
        i,
        c.tmpLeftover.filter((k) => !seenTmp.has(k)),
      );
      c.tmpLeftover.forEach((k) => seenTmp.add(k));
      ledger.tmpLeftover = c.tmpLeftover.length;
      log(
        `  check: ${c.snapshotsInRepo} snapshots in the repository, ${c.checked} restored and compared, ${c.unreported} unreported, ${c.tmpLeftover.length} tmp objects`,
      );
      scenarios++;
    }
  } finally {
    clearInterval(revive);
    ledger.faults = cluster.proxy?.faults() ?? {};
    ledger.proxyRequests = cluster.proxy?.requests() ?? 0;
    await cluster.stop().catch((e: Error) => log(`stopping the stack: ${e.message}`));
  }
  const report = summarise(ledger, o, {
    scenarios,
    workerKills: cluster.kills,
    serverRestarts: cluster.serverRestarts,
    workerExits: cluster.unexpectedExits,
    seconds: (Date.now() - started) / 1000,
  });
  if (!o.keep && report.fatal === 0) fs.rmSync(dir, { recursive: true, force: true });
  return { report, table: formatTable(report, ledger), ledger, dir };
}

/** The workers create the repository (and its key) when they start. */
async function waitForRepository(cluster: Cluster): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (fs.existsSync(cluster.keyFile)) {
      try {
        const repo = await openDirect(cluster.seaweed, cluster.keyFile);
        if (await repo.store.head(CONFIG_KEY)) return;
      } catch {
        // key half-written or config not there yet
      }
    }
    await sleep(200);
  }
  throw new Error('the workers did not create the repository within 60 s (see worker-*.log)');
}
