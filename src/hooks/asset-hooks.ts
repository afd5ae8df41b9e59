import type { AssetHooks, HookName } from '../config/plan-schema';
import { runAction, type ActionResult, type RunActionOptions } from '../failover/actions';

/**
 * Backup and restore hooks: an asset's action from the plan, run with what happened so far.
 * Commands get the event as LEPTON_DR_* environment variables; an HTTP hook without a body of
 * its own is sent the event as JSON. Output comes back truncated and redacted (runAction).
 */

export type HookOutcome = 'success' | 'failure' | 'cancelled';

export interface HookEvent {
  hook: HookName;
  asset: string;
  /** post hooks: how the run ended */
  outcome?: HookOutcome;
  snapshotId?: string;
  /** postRestore: the folder restored into */
  target?: string;
  /** the run's failure, shortened */
  error?: string;
}

export interface HookReport extends ActionResult {
  hook: HookName;
  asset: string;
}

/** Enough output to see why a hook failed, small enough for a workflow history. */
export const HOOK_OUTPUT_BYTES = 1024;

/** What a hook command is told, as variables lepton-dr sets for it (it reads none of them). */
export function hookEnv(e: HookEvent): Record<string, string> {
  return {
    LEPTON_DR_HOOK: e.hook,
    LEPTON_DR_ASSET: e.asset,
    ...(e.outcome ? { LEPTON_DR_OUTCOME: e.outcome } : {}),
    ...(e.snapshotId ? { LEPTON_DR_SNAPSHOT_ID: e.snapshotId } : {}),
    ...(e.target ? { LEPTON_DR_TARGET: e.target } : {}),
    ...(e.error ? { LEPTON_DR_ERROR: e.error } : {}),
  };
}

/** The asset's hook for `e`, or undefined when the plan defines none. Never throws for a failing hook. */
export async function runAssetHook(hooks: AssetHooks | undefined, e: HookEvent, opts: Pick<RunActionOptions, 'signal'> = {}): Promise<HookReport | undefined> {
  const action = hooks?.[e.hook];
  if (!action) return undefined;
  const withEvent = action.type === 'command' ? { ...action, env: { ...action.env, ...hookEnv(e) } } : { ...action, body: action.body ?? { ...e } };
  const r = await runAction(withEvent, { ...opts, tailBytes: HOOK_OUTPUT_BYTES });
  return { hook: e.hook, asset: e.asset, ...r };
}
