import type { ChaosOptions } from './args';
import { FATAL, type Ledger } from './ledger';
import { FAULT_KINDS } from './proxy';

export interface ChaosReport {
  options: ChaosOptions;
  scenarios: number;
  workerKills: number;
  serverRestarts: number;
  workerExits: number;
  snapshotsCommitted: number;
  lost: number;
  corrupt: number;
  tmpLeftover: number;
  /** fatal findings: data lost or wrong, garbage left, runs stuck */
  fatal: number;
  seconds: number;
}

export function summarise(
  ledger: Ledger,
  o: ChaosOptions,
  extra: { scenarios: number; workerKills: number; serverRestarts: number; workerExits: number; seconds: number },
): ChaosReport {
  return {
    options: o,
    ...extra,
    snapshotsCommitted: ledger.expected.size,
    lost: ledger.count('lost'),
    corrupt: ledger.count('corrupt') + ledger.count('bad-restore-reported-ok'),
    tmpLeftover: ledger.tmpLeftover,
    fatal: ledger.findings.filter((f) => FATAL.has(f.kind)).length,
  };
}

/** The closing table of `npm run chaos`, then every finding with its scenario. */
export function formatTable(r: ChaosReport, ledger: Ledger): string {
  const c = ledger.counters;
  const random = FAULT_KINDS.filter((k) => k !== 'slowRead');
  const faults = random.map((k) => `${k} ${ledger.faults[k] ?? 0}`).join(', ');
  const faultTotal = random.reduce((n, k) => n + (ledger.faults[k] ?? 0), 0);
  const pct = ledger.proxyRequests ? ` = ${((100 * faultTotal) / ledger.proxyRequests).toFixed(1)} %` : '';
  const rows: [string, string][] = [
    [
      'command',
      `npm run chaos -- --seed ${r.options.seed} --scale ${r.options.scale} --scenarios ${r.options.scenarios}${r.options.faultRate !== 0.1 ? ` --fault-rate ${r.options.faultRate}` : ''}`,
    ],
    ['scenarios', String(r.scenarios)],
    ['proxy requests', String(ledger.proxyRequests)],
    ['faults injected', `${faultTotal}${pct} (${faults})`],
    ['slowed pack reads (kill-restore phase)', String(ledger.faults.slowRead ?? 0)],
    ['worker kills (-9)', String(r.workerKills)],
    ['workers exited by themselves', String(r.workerExits)],
    ['server restarts', String(r.serverRestarts)],
    ['backups started / ok', `${c.backupsStarted} / ${c.backupsOk}`],
    ['snapshots committed', String(r.snapshotsCommitted)],
    ['snapshots forgotten', String(c.snapshotsForgotten)],
    ['prunes / packs deleted', `${c.prunes} / ${c.packsDeleted}`],
    [
      'restores by workflow / ok',
      `${c.restoresByWorkflow} / ${c.restoresByWorkflowOk} (batch worker killed: ${c.restoreBatchKills}, resumed by a new attempt: ${c.restoresResumed})`,
    ],
    ['restores checked', String(c.restoresChecked)],
    ['snapshots lost', String(r.lost)],
    ['snapshots corrupt', String(r.corrupt)],
    ['verify errors', String(ledger.count('verify'))],
    ['leftover tmp objects', String(r.tmpLeftover)],
    ['entries with sub-us mtime drift', String(ledger.mtimeDrift)],
    ['runs failed (backup/restore/prune)', `${ledger.count('backup-failed')}/${ledger.count('restore-failed')}/${ledger.count('prune-failed')}`],
    ['runs stuck', String(ledger.count('stuck'))],
    ['time', `${r.seconds.toFixed(0)} s`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v}`);
  const verdict = r.fatal ? `FAIL: ${r.fatal} finding(s) that lose, corrupt or leak` : 'OK: nothing lost, corrupt or left over';
  const findings = ledger.findings.map((f) => `  [scenario ${f.scenario}] ${FATAL.has(f.kind) ? '!!' : '  '} ${f.kind}: ${f.detail}`);
  return [...lines, verdict, ...(findings.length ? ['findings (replay with the same --seed; "!!" fails the run):', ...findings] : [])].join('\n');
}
