import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { FailoverReport } from '../common/failover-report';
import { failoverStatusQuery, type FailoverStatus } from '../contracts/failover-messages';
import { awaitWithBar } from './polled-bar';

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
  let hinted = false;
  return awaitWithBar(result, {
    format: '{step} |{bar}| {value}/{total} steps {note}',
    query: (): Promise<FailoverStatus> => handle.query(failoverStatusQuery),
    view: (s) => {
      const done = s.report.steps.filter((x) => x.status !== 'running').length;
      const note = s.approval.phase === 'waiting' ? `waiting for approval until ${s.approval.deadline}` : s.phase === 'compensating' ? 'compensating' : '';
      return { total: Math.max(done + 1, s.mode === 'failback' ? 10 : 9), value: done, payload: { step: s.step.padEnd(15), note } };
    },
    onStatus: (s) => {
      if (s.approval.phase === 'waiting' && !hinted) {
        hinted = true;
        process.stderr.write(`\nwaiting for approval: lepton-dr failover approve --site ${site} --operator NAME (or reject)\n`);
      }
    },
  });
}
