import { ApplicationFailure, CancellationScope, isCancellation, log, patched, proxyActivities } from '@temporalio/workflow';
import type { HookActivities } from '../activities/hook-activity-types';
import type { HookEvent, HookOutcome, HookReport } from '../hooks/asset-hooks';
import { FailureType } from '../common/failure-types';
import { failureText } from '../common/failure-text';
import { hookStep } from './activity-options';

const act = proxyActivities<HookActivities>(hookStep);

/** Histories recorded before hooks existed replay without the hook activities. */
export const ASSET_HOOKS_PATCH = 'asset-hooks';

/** How a run that threw ended, as its post hook is told. */
export const outcomeOf = (err: unknown): HookOutcome => (isCancellation(err) ? 'cancelled' : 'failure');

/**
 * The hooks of one run. The workflow names the asset and what happened; the worker runs the
 * action its own plan defines for that asset. Reports are kept for the run's result and details.
 */
export class RunHooks {
  readonly reports: HookReport[] = [];
  private readonly enabled = patched(ASSET_HOOKS_PATCH);

  /** Runs a pre hook; a failing one throws (the run must not go on). */
  async pre(e: HookEvent): Promise<void> {
    const r = await this.run(e);
    if (r && !r.ok) {
      const out = r.outputTail.trim() ? `; output: ${r.outputTail.trim().slice(-300)}` : '';
      throw ApplicationFailure.nonRetryable(`${e.hook} hook of ${e.asset} failed (${r.target}): ${r.error}${out}`, FailureType.HookFailed);
    }
  }

  /** Runs a post hook whatever happened to the run, also when it is being cancelled; never throws. */
  async post(e: HookEvent): Promise<HookReport | undefined> {
    try {
      return await CancellationScope.nonCancellable(() => this.run(e));
    } catch (err) {
      log.warn(`${e.hook} hook of ${e.asset} could not run`, { error: failureText(err) });
      return undefined;
    }
  }

  /** "preBackup ok (12 ms), postBackup FAILED: exit code 3", or "" without hooks. */
  describe(): string {
    return this.reports.map((r) => `${r.hook} ${r.ok ? 'ok' : `FAILED: ${r.error}`} (${r.durationMs} ms)`).join(', ');
  }

  private async run(e: HookEvent): Promise<HookReport | undefined> {
    if (!this.enabled) return undefined;
    const r = await act.runAssetHook(e);
    if (r) this.reports.push(r);
    return r ?? undefined;
  }
}
