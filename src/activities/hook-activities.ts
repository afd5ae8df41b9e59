import { CancelledFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { nameSchema } from '../common/schema-primitives';
import { parseOrThrow } from '../common/zod-errors';
import { RestoreTargetSchema } from '../contracts/inputs';
import type { Plan } from '../config/plan-schema';
import { runAssetHook, type HookReport } from '../hooks/asset-hooks';
import { reportProgress } from './progress';

export interface HookDeps {
  plan: Plan;
}

/** What a workflow may say about a hook: which asset and what happened. The action itself comes from this worker's plan. */
const HookInput = z
  .object({
    asset: nameSchema(),
    hook: z.enum(['preBackup', 'postBackup', 'postRestore']),
    outcome: z.enum(['success', 'failure', 'cancelled']).optional(),
    snapshotId: z
      .string()
      .regex(/^[0-9a-f]{32}$/, 'must be 32 hex characters')
      .optional(),
    target: RestoreTargetSchema.optional(),
    error: z.string().max(500).optional(),
  })
  .strict();

/** Asset hooks run here, on the worker: the privileged side that holds the plan. */
export function createHookActivities({ plan }: HookDeps) {
  return {
    /** Runs the asset's hook; null when the plan defines none (or the asset is ad hoc). A failing hook is reported, not thrown. */
    async runAssetHook(raw: unknown): Promise<HookReport | null> {
      const e = parseOrThrow(HookInput, raw, 'hook input');
      const hooks = plan.assets.find((a) => a.name === e.asset)?.hooks;
      if (!hooks?.[e.hook]) return null;
      const ctx = Context.current();
      // the keep-alive's heartbeats carry the workflow's cancellation to the running hook (its process group is killed)
      reportProgress({ hook: e.hook });
      const r = await runAssetHook(hooks, e, { signal: ctx.cancellationSignal });
      if (!r) return null;
      const fields = {
        hook: r.hook,
        asset: r.asset,
        outcome: e.outcome,
        target: r.target,
        status: r.status,
        exitCode: r.exitCode,
        durationMs: r.durationMs,
        output: r.outputTail,
      };
      if (r.ok) ctx.log.info(`${e.hook} hook of ${e.asset} succeeded`, fields);
      else ctx.log.warn(`${e.hook} hook of ${e.asset} failed: ${r.error}`, fields);
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure(`${e.hook} hook cancelled`);
      return r;
    },
  };
}

export type HookActivities = ReturnType<typeof createHookActivities>;
