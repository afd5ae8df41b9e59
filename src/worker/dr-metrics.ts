import http from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { MetricsSink } from '../activities/metrics-sink';
import type { Repository } from '../engine/repo/repository';

/**
 * The worker's Prometheus series (prefix lepton_dr_). Per-worker counters add up across
 * workers with sum(); the "last ..." gauges are wall-clock seconds, so max() across workers is
 * the newest. RPO age: time() - lepton_dr_snapshot_newest_timestamp_seconds, which every worker
 * reads from the repository itself, so it is right from the first scrape after a restart.
 */
export class DrMetrics implements MetricsSink {
  readonly registry = new Registry();
  private readonly c = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [this.registry] });
  private readonly g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [this.registry] });

  private readonly backups = this.c('lepton_dr_backups_total', 'Backups committed by this worker.', ['asset']);
  private readonly backupRead = this.c('lepton_dr_backup_read_bytes_total', 'Bytes read from sources by committed backups.', ['asset']);
  private readonly backupUploaded = this.c('lepton_dr_backup_uploaded_bytes_total', 'Bytes uploaded to the repository by committed backups.', ['asset']);
  private readonly backupFiles = this.g('lepton_dr_backup_files', 'Files in the newest snapshot this worker committed.', ['asset']);
  private readonly backupBytes = this.g('lepton_dr_backup_bytes', 'Bytes in the newest snapshot this worker committed.', ['asset']);
  private readonly backupDuration = this.g('lepton_dr_backup_duration_seconds', 'Plan-to-commit time of the newest backup this worker committed.', ['asset']);
  private readonly backupLast = this.g('lepton_dr_backup_last_success_timestamp_seconds', 'When this worker last committed a backup of the asset.', ['asset']);
  private readonly newest = this.g('lepton_dr_snapshot_newest_timestamp_seconds', 'Time of the newest verified snapshot of the asset in the repository.', [
    'asset',
  ]);
  private readonly snapshots = this.g('lepton_dr_snapshots', 'Verified snapshots of the asset in the repository.', ['asset']);
  private readonly restores = this.c('lepton_dr_restores_total', 'Restores swapped into place by this worker.');
  private readonly restoreBytes = this.c('lepton_dr_restore_bytes_total', 'Bytes restored by this worker.');
  private readonly verifyErrors = this.g('lepton_dr_verify_errors', 'Errors found by the last verify this worker ran.');
  private readonly verifyLast = this.g('lepton_dr_verify_last_run_timestamp_seconds', 'When this worker last ran verify.');
  private readonly verifyRead = this.c('lepton_dr_verify_read_bytes_total', 'Pack bytes re-read by verify.');
  private readonly pruneFreed = this.c('lepton_dr_prune_reclaimed_bytes_total', 'Bytes freed by prune.');
  private readonly prunePacks = this.c('lepton_dr_prune_deleted_packs_total', 'Packs deleted by prune.');
  private readonly pruneBlocked = this.g('lepton_dr_prune_blocked', '1 when the last prune deleted nothing because a snapshot could not be read.');
  private readonly rto = this.g(
    'lepton_dr_failover_rto_seconds',
    'Measured RTO of the last finished run of the site and mode (drill, planned, unplanned, failback).',
    ['site', 'mode'],
  );
  private readonly rpo = this.g('lepton_dr_failover_rpo_seconds', 'Measured RPO of the last finished run of the site and mode.', ['site', 'mode']);
  private readonly rtoObjective = this.g('lepton_dr_rto_objective_seconds', 'The site RTO objective.', ['site']);
  private readonly rpoObjective = this.g('lepton_dr_rpo_objective_seconds', 'The site RPO objective.', ['site']);
  private readonly runLast = this.g('lepton_dr_failover_last_timestamp_seconds', 'When the last run of the site and mode finished, by outcome.', [
    'site',
    'mode',
    'outcome',
  ]);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lepton_dr_worker_' });
  }

  backupCommitted(e: Parameters<MetricsSink['backupCommitted']>[0]): void {
    const l = { asset: e.asset };
    this.backups.inc(l);
    this.backupRead.inc(l, e.bytesRead);
    this.backupUploaded.inc(l, e.bytesUploaded);
    this.backupFiles.set(l, e.files);
    this.backupBytes.set(l, e.bytes);
    this.backupDuration.set(l, Math.max(0, e.at - Date.parse(e.startedAt)) / 1000);
    this.backupLast.set(l, e.at / 1000);
    this.noteSnapshot(e.asset, Date.parse(e.startedAt));
  }

  private readonly newestSeen = new Map<string, number>();
  private noteSnapshot(asset: string, timeMs: number): void {
    const t = Math.max(this.newestSeen.get(asset) ?? 0, timeMs);
    this.newestSeen.set(asset, t);
    this.newest.set({ asset }, t / 1000);
  }
  restoreFinished(e: Parameters<MetricsSink['restoreFinished']>[0]): void {
    this.restores.inc();
    this.restoreBytes.inc(e.bytes);
  }
  verifyFinished(e: Parameters<MetricsSink['verifyFinished']>[0]): void {
    this.verifyErrors.set(e.errors);
    this.verifyLast.set(e.at / 1000);
    this.verifyRead.inc(e.bytesRead);
  }
  pruneFinished(e: Parameters<MetricsSink['pruneFinished']>[0]): void {
    this.pruneFreed.inc(e.bytesFreed);
    this.prunePacks.inc(e.packsDeleted);
    this.pruneBlocked.set(e.blocked ? 1 : 0);
  }
  failoverFinished(e: Parameters<MetricsSink['failoverFinished']>[0]): void {
    const l = { site: e.site, mode: e.mode };
    if (e.rtoMs !== null) this.rto.set(l, e.rtoMs / 1000);
    if (e.rpoMs !== null) this.rpo.set(l, e.rpoMs / 1000);
    this.rtoObjective.set({ site: e.site }, e.objectives.rtoSeconds);
    this.rpoObjective.set({ site: e.site }, e.objectives.rpoSeconds);
    this.runLast.set({ ...l, outcome: e.outcome }, e.at / 1000);
  }

  /** Newest snapshot time and count per asset, read from the repository (RPO age needs no backup on this worker). */
  async refreshSnapshots(repo: Repository): Promise<void> {
    const newest = new Map<string, { time: number; count: number }>();
    for (const s of await repo.listSnapshots()) {
      const cur = newest.get(s.asset) ?? { time: 0, count: 0 };
      newest.set(s.asset, { time: Math.max(cur.time, Date.parse(s.time)), count: cur.count + 1 });
    }
    this.newest.reset();
    this.newestSeen.clear();
    this.snapshots.reset();
    for (const [asset, v] of newest) {
      this.noteSnapshot(asset, v.time);
      this.snapshots.set({ asset }, v.count);
    }
  }
}

/** GET /metrics on 127.0.0.1 (or the given host); resolves once listening, with the bound port. */
export async function serveMetrics(registry: Registry, port: number, host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    registry
      .metrics()
      .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text))
      .catch((e: Error) => res.writeHead(500).end(`${e.message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : port, close: () => new Promise((r) => server.close(() => r())) };
}
