import { Context } from '@temporalio/activity';
import { z } from 'zod';
import { nameSchema } from '../common/schema-primitives';
import { parseOrThrow } from '../common/zod-errors';
import type { Plan } from '../config/plan-schema';
import { selectForCopy, type CopySelection } from '../engine/copy/copy-selection';
import { copySnapshot } from '../engine/copy/copy-snapshot';
import type { Repository } from '../engine/repo/repository';
import { openCopyTarget } from '../worker/open-copy-target';
import { CopyInputSchema, type CopyStep } from '../contracts/copy-inputs';
import { mapFailure } from './failure';
import { reportProgress } from './progress';

export interface CopyDeps {
  plan: Plan;
  repo: Repository;
  /** opens a copy target by name (tests hand in a counting store); default: from the plan and env */
  openTarget?: (name: string) => Promise<Repository>;
}

const CopyOne = z
  .object({
    target: nameSchema('must name a copy target of the plan (copyTargets)'),
    snapshot: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 hex characters'),
  })
  .strict();

/** Copies to a second repository: choose the snapshots, then copy them one by one. */
export function createCopyActivities({ plan, repo, openTarget }: CopyDeps) {
  const targets = new Map<string, Promise<Repository>>();
  const target = (name: string): Promise<Repository> => {
    let t = targets.get(name);
    if (!t) {
      t = (openTarget ?? ((n: string) => openCopyTarget(plan, n)))(name);
      t.catch(() => targets.delete(name));
      targets.set(name, t);
    }
    return t;
  };
  return {
    async selectCopySnapshots(raw: unknown): Promise<string[]> {
      return mapFailure(async () => {
        const input = parseOrThrow(CopyInputSchema, raw, 'copy input');
        const dst = await target(input.target);
        const sel: CopySelection = Array.isArray(input.snapshots)
          ? { ids: input.snapshots }
          : input.snapshots === 'latest'
            ? { latest: true, asset: input.asset }
            : { allMissing: true, asset: input.asset };
        return selectForCopy(repo, dst, sel);
      });
    },

    async copySnapshotTo(raw: unknown): Promise<CopyStep> {
      return mapFailure(async () => {
        const input = parseOrThrow(CopyOne, raw, 'copy step input');
        const ctx = Context.current();
        const dst = await target(input.target);
        const r = await copySnapshot(repo, dst, input.snapshot, { onProgress: (p) => reportProgress(p) });
        ctx.log.info(r.copied ? 'snapshot copied' : 'snapshot already at the target', { target: input.target, ...r });
        return r;
      });
    },
  };
}

export type CopyActivities = ReturnType<typeof createCopyActivities>;
