import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import cliProgress from 'cli-progress';
import type { FailoverReport } from '../common/failover-report';
import { failoverStatusQuery, type FailoverStatus } from '../workflows/failover-messages';

export interface FollowResult {
  ok: boolean;
  report?: FailoverReport;
  /** Failure message (the run's summary) when not ok. */
  error?: string;
}

/** Wait for a failover-like run; on a terminal, draw steps as a bar and say when approval is awaited. */
export async function followFailover(handle: WorkflowHandle, showBar: boolean, site: string): Promise<FollowResult> {
  const result = handle.result().then(
    (report: FailoverReport) => ({ ok: true, report }) as FollowResult,
    (e: unknown) => {
      if (e instanceof WorkflowFailedError) {
        const cause = e.cause as { message?: string; details?: unknown[] } | undefined;
        const report = cause?.details?.[0] as FailoverReport | undefined;
        return { ok: false, report, error: cause?.message ?? e.message } as FollowResult;
      }
      throw e;
    },
  );
  if (!showBar) return result;
  const bar = new cliProgress.SingleBar({ format: '{step} |{bar}| {value}/{total} steps {note}', hideCursor: true, stream: process.stderr, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  let started = false;
  let finished = false;
  let hinted = false;
  const poll = async () => {
    while (!finished) {
      try {
        const s: FailoverStatus = await handle.query(failoverStatusQuery);
        const done = s.report.steps.filter((x) => x.status !== 'running').length;
        const total = Math.max(done + 1, s.mode === 'failback' ? 10 : 9);
        const note = s.approval.phase === 'waiting' ? `waiting for approval until ${s.approval.deadline}` : s.phase === 'compensating' ? 'compensating' : '';
        if (!started) {
          bar.start(total, done, { step: s.step.padEnd(15), note });
          started = true;
        }
        bar.setTotal(total);
        bar.update(done, { step: s.step.padEnd(15), note });
        if (s.approval.phase === 'waiting' && !hinted) {
          hinted = true;
          process.stderr.write(`\nwaiting for approval: lepton-dr failover approve --site ${site} --operator NAME (or reject)\n`);
        }
      } catch {
        // not picked up by a worker yet, or finished
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const polling = poll();
  try {
    return await result;
  } finally {
    finished = true;
    await polling;
    if (started) bar.stop();
  }
}
