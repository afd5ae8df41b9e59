import { Context } from '@temporalio/activity';
import { parseOrThrow } from '../common/zod-errors';
import {
  ForgetInputSchema,
  PruneRepositoryInputSchema,
  STATS_GROWTH_ROWS,
  StatsInputSchema,
  VerifyRepositoryInputSchema,
  type ForgetInput,
  type PruneRepositoryInput,
  type RepositoryStatsReport,
  type StatsInput,
  type VerifyRepositoryInput,
} from '../contracts/maintenance-inputs';
import type { Plan } from '../config/plan-schema';
import { forgetSnapshots, type ForgetOutcome } from '../engine/maintenance/forget';
import { prune, type PruneReport } from '../engine/maintenance/prune';
import { repositoryStats } from '../engine/maintenance/stats';
import { verifyRepository, type VerifyReport } from '../engine/maintenance/verify';
import type { Repository } from '../engine/repo/repository';
import { selectKept } from '../engine/retention';
import { mapFailure } from './failure';
import type { MetricsSink } from './metrics-sink';
import { reportProgress } from './progress';

export interface MaintenanceDeps {
  plan: Plan;
  repo: Repository;
  metrics?: MetricsSink;
}

/** Repository maintenance: retention (forget), two-phase prune, verification. */
export function createMaintenanceActivities({ plan, repo, metrics }: MaintenanceDeps) {
  return {
    async forgetByRetention(raw: ForgetInput): Promise<{ asset: string; kept: string[]; forgotten: string[] }[]> {
      return mapFailure(async () => {
        const input = parseOrThrow(ForgetInputSchema, raw, 'forget input');
        const assets = plan.assets.filter((a) => a.retention && (!input.asset || a.name === input.asset));
        const out = [];
        for (const a of assets) {
          const { keep, forget } = selectKept(await repo.listSnapshots({ asset: a.name }), a.retention ?? {});
          const ids = forget.map((s) => s.id);
          const done: ForgetOutcome = input.dryRun ? { forgotten: ids, locked: [] } : await forgetSnapshots(repo, ids);
          out.push({ asset: a.name, kept: [...keep.map((s) => s.id), ...done.locked.map((l) => l.id)], forgotten: done.forgotten, locked: done.locked });
        }
        return out;
      });
    },

    async pruneRepository(raw: PruneRepositoryInput): Promise<
      Omit<PruneReport, 'marked' | 'unmarked' | 'deleted' | 'repacked' | 'locked'> & {
        marked: number;
        unmarked: number;
        deleted: number;
        repacked: number;
        locked: number;
        /** the latest retain-until among the held packs: by then a prune can delete them all */
        lockedUntil?: string;
      }
    > {
      return mapFailure(async () => {
        const input = parseOrThrow(PruneRepositoryInputSchema, raw, 'prune input');
        const ctx = Context.current();
        const r = await prune(repo, {
          graceMs: input.graceHours * 3600_000,
          minGraceMs: plan.repository.pruneMinGraceHours * 3600_000,
          dryRun: input.dryRun,
          repackBelow: plan.repository.repackBelow,
          onProgress: (p) => reportProgress(p),
        });
        ctx.log.info('prune finished', {
          marked: r.marked.length,
          deleted: r.deleted.length,
          bytesFreed: r.bytesFreed,
          repacked: r.repacked.length,
          repackedBytes: r.repackedBytes,
        });
        if (!input.dryRun)
          metrics?.pruneFinished({ bytesFreed: r.bytesFreed, packsDeleted: r.deleted.length, packsMarked: r.marked.length, blocked: Boolean(r.blocked) });
        if (r.blocked) ctx.log.warn('prune deleted nothing', { reason: r.blocked });
        if (r.invalidSnapshots.length) ctx.log.warn('snapshots failed their signature; their data is kept', { invalid: r.invalidSnapshots.slice(0, 20) });
        if (r.locked.length) ctx.log.info('packs held by object lock', { packs: r.locked.length, sample: r.locked.slice(0, 5) });
        const lockedUntil = r.locked
          .map((l) => l.until)
          .sort()
          .pop();
        return {
          ...r,
          marked: r.marked.length,
          unmarked: r.unmarked.length,
          deleted: r.deleted.length,
          repacked: r.repacked.length,
          locked: r.locked.length,
          ...(lockedUntil ? { lockedUntil } : {}),
        };
      });
    },

    async repositoryStats(raw: StatsInput): Promise<RepositoryStatsReport> {
      return mapFailure(async () => {
        const { asset } = parseOrThrow(StatsInputSchema, raw, 'stats input');
        const r = await repositoryStats(repo, {
          pricing: plan.repository.pricing,
          onProgress: (done, total) => reportProgress({ phase: 'snapshots', done, total }),
        });
        const assets = asset ? r.assets.filter((a) => a.asset === asset) : r.assets;
        const growth = asset ? r.growth.filter((g) => g.asset === asset) : r.growth;
        const omitted = Math.max(0, growth.length - STATS_GROWTH_ROWS);
        return { ...r, assets, growth: growth.slice(omitted), growthOmitted: omitted };
      });
    },

    async verifyRepository(raw: VerifyRepositoryInput): Promise<VerifyReport> {
      return mapFailure(async () => {
        const input = parseOrThrow(VerifyRepositoryInputSchema, raw, 'verify input');
        const ctx = Context.current();
        const r = await verifyRepository(repo, { readData: input.readData, onProgress: (p) => reportProgress(p) });
        if (r.errors.length) ctx.log.warn('repository verification found errors', { errors: r.errors.slice(0, 20), count: r.errors.length });
        metrics?.verifyFinished({ errors: r.errors.length, packsRead: r.packsRead, bytesRead: r.bytesRead, at: Date.now() });
        return r;
      });
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
