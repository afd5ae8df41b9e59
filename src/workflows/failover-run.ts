import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { newReport, objectiveWarnings, summarise, withFigures, type FailoverMode, type FailoverReport, type Outcome } from '../common/failover-report';
import { ApprovalGate } from './approval-gate';
import { drillWorkflowId, failoverWorkflowId } from '../contracts/failover-inputs';
import { failoverStatusQuery } from '../contracts/failover-messages';
import { bookkeeping, faults } from './failover-options';
import { failureText } from '../common/failure-text';
import { Saga } from './saga';
import { SA_KIND, SA_SITE, SA_SNAPSHOT } from './search-attribute-keys';
import type { SelectedSnapshot } from '../contracts/failover-types';
import { FailureType } from '../common/failure-types';

export type RunKind = 'failover' | 'drill' | 'failback';

export interface RunOptions {
  kind: RunKind;
  site: string;
  mode: FailoverMode;
  reason: string;
  source: string;
  occurredAt?: string;
  failAt?: string;
}

/** The run options of a failover-like input: who asked, why, and the injected fault if any. */
export function runOptionsOf(
  kind: RunKind,
  mode: FailoverMode,
  input: { site: string; reason: string; source: string; occurredAt?: string; faultInjection?: { failAt?: string } },
): RunOptions {
  return { kind, site: input.site, mode, reason: input.reason, source: input.source, occurredAt: input.occurredAt, failAt: input.faultInjection?.failAt };
}

/**
 * What every failover-like run shares: the incident and report, the saga, the approval gate,
 * the status query, search attributes and the one-line details for the UI, fault injection,
 * and the ending (compensate, store the final report, fail with its summary).
 */
export class FailoverRun {
  readonly saga: Saga;
  readonly gate: ApprovalGate;
  readonly reportId: string;
  readonly workflowId: string;
  private readonly runShort: string;

  constructor(private readonly o: RunOptions) {
    const info = workflowInfo();
    this.workflowId = info.workflowId;
    const want = o.kind === 'drill' ? drillWorkflowId(o.site) : failoverWorkflowId(o.site);
    if (info.workflowId !== want) {
      throw ApplicationFailure.nonRetryable(
        `workflow id: a ${o.kind} of site ${o.site} must run with workflow id "${want}" (one per site: a second trigger joins the running one)`,
        FailureType.BadInput,
      );
    }
    this.runShort = info.runId.slice(0, 8);
    this.reportId = `${info.workflowId}-${this.runShort}`.replace(/[^a-zA-Z0-9._-]/g, '_');
    const incident = {
      id: this.reportId,
      site: o.site,
      mode: o.mode,
      reason: o.reason,
      source: o.source,
      openedAt: new Date().toISOString(),
      ...(o.occurredAt ? { occurredAt: o.occurredAt } : {}),
    };
    // Objectives are placeholders until open-incident reads the site.
    const report: FailoverReport = {
      ...newReport(incident, { rtoSeconds: 1, rpoSeconds: 1 }),
      id: this.reportId,
      workflowId: info.workflowId,
      runId: info.runId,
    };
    const refresh = () => this.refresh();
    this.saga = new Saga(report, refresh, () => {
      const error = this.gate.rejection();
      return error ? { step: 'approval', error } : undefined;
    });
    this.gate = new ApprovalGate(() => this.saga.current, refresh);
    this.gate.install();
    setHandler(failoverStatusQuery, () => ({
      workflowId: info.workflowId,
      reportId: this.reportId,
      site: o.site,
      mode: o.mode,
      step: this.saga.current,
      phase: this.saga.phase,
      approval: { ...this.gate.state },
      report: this.saga.report,
    }));
    upsertSearchAttributes([
      { key: SA_SITE, value: o.site },
      { key: SA_KIND, value: o.kind },
    ]);
    this.refresh();
  }

  /** The site was found and read: from now on the report is stored, whatever happens. */
  private siteKnown = false;

  opened(objectives: { rtoSeconds: number; rpoSeconds: number }): void {
    this.saga.report.objectives = objectives;
    this.siteKnown = true;
  }

  get report(): FailoverReport {
    return this.saga.report;
  }

  /** Id of a child workflow of this run; restore staging next to a target starts with it too. */
  childId(what: string, asset: string): string {
    return `${this.workflowId}-${what}-${asset}-${this.runShort}`.replace(/[^a-zA-Z0-9._-]/g, '_');
  }

  refresh(): void {
    const r = this.saga.report;
    const prefix = this.saga.phase === 'done' ? '' : `[${this.saga.current}] `;
    setCurrentDetails(`${prefix}${summarise(r)}`);
  }

  /** Tests: fail right after `step` did its work (so its compensation is exercised too). */
  async fault(step: string): Promise<void> {
    if (this.o.failAt !== step) return;
    try {
      await faults.injectFault({ step });
    } catch (e) {
      // the step did its work, then "failed": the report shows it failed with the injected error
      const s = [...this.saga.report.steps].reverse().find((x) => x.name === step);
      if (s) {
        s.status = 'failed';
        s.error = failureText(e);
      }
      throw e;
    }
  }

  recordSnapshots(snaps: SelectedSnapshot[]): void {
    this.saga.report = withFigures(this.saga.report, { snapshots: snaps.map((s) => ({ id: s.id, time: s.time, asset: s.asset })) });
    const oldest = this.saga.report.snapshot;
    if (oldest) upsertSearchAttributes([{ key: SA_SNAPSHOT, value: oldest.id }]);
    this.refresh();
  }

  markHealthy(at: string | undefined): void {
    if (at) this.saga.report = withFigures(this.saga.report, { healthyAt: at });
    this.refresh();
  }

  /** The report step: store the report as succeeded (its own step shown as ok). */
  async writeSucceeded(): Promise<void> {
    await this.saga.step(
      'report',
      async () => {
        const finishedAt = new Date().toISOString();
        const r = withFigures(this.saga.report, { outcome: 'succeeded', finishedAt });
        r.warnings = [...new Set([...r.warnings, ...objectiveWarnings(r)])];
        r.steps = r.steps.map((s) => (s.name === 'report' && s.status === 'running' ? { ...s, status: 'ok' as const, endedAt: finishedAt } : s));
        const out = await bookkeeping.writeReport({ report: r });
        this.saga.report = { ...this.saga.report, outcome: 'succeeded', finishedAt, warnings: r.warnings, rtoMs: r.rtoMs, rpoMs: r.rpoMs, met: r.met };
        return out;
      },
      { detail: (o) => `stored as ${o.key}` },
    );
    await this.fault('report');
  }

  /** Success: close the gate, settle the figures. */
  succeeded(): FailoverReport {
    this.gate.close();
    this.saga.phase = 'done';
    this.saga.current = 'done';
    this.refresh();
    log.info('failover run succeeded', { reportId: this.reportId, rtoMs: this.report.rtoMs, rpoMs: this.report.rpoMs });
    return this.saga.report;
  }

  /**
   * Failure, rejection or cancellation: run the compensations in reverse (non-cancellable, each
   * retried), store the final report, then rethrow a cancellation or fail with the summary
   * (the report is in the failure's details).
   */
  async failed(err: unknown): Promise<never> {
    this.gate.close();
    const cancelled = isCancellation(err) || CancellationScope.current().consideredCancelled;
    const type = (err as { type?: string } | undefined)?.type ?? (err as { cause?: { type?: string } } | undefined)?.cause?.type;
    const approvalAbort = type === FailureType.ApprovalRejected || type === FailureType.ApprovalTimedOut;
    if (!cancelled && !approvalAbort) log.warn('failover step failed; compensating', { step: this.saga.current, error: failureText(err) });
    const allUndone = await this.saga.compensate();
    const outcome: Outcome = !allUndone ? 'failed' : cancelled || approvalAbort ? 'aborted' : 'compensated';
    const r = withFigures(this.saga.report, { outcome, finishedAt: new Date().toISOString() });
    if (cancelled) r.warnings = [...r.warnings, 'cancelled by an operator'];
    const failedUndos = r.compensations.filter((c) => c.status === 'failed');
    if (failedUndos.length)
      r.warnings = [...r.warnings, `compensation(s) failed, a human must look: ${failedUndos.map((c) => `${c.name}: ${c.error ?? '?'}`).join('; ')}`];
    this.saga.report = r;
    await CancellationScope.nonCancellable(async () => {
      if (!this.siteKnown) return; // unknown site, refused trigger: nothing to report on
      try {
        await bookkeeping.writeReport({ report: r });
      } catch (e) {
        log.error('final report could not be stored', { reportId: this.reportId, error: failureText(e) });
        this.saga.report = { ...r, warnings: [...r.warnings, `report not stored: ${failureText(e)}`] };
      }
    });
    this.saga.phase = 'done';
    this.saga.current = 'done';
    this.refresh();
    if (cancelled) throw isCancellation(err) ? err : new CancelledFailure('cancelled by an operator');
    const failureType =
      outcome === 'failed' ? FailureType.FailoverFailed : outcome === 'aborted' ? FailureType.FailoverAborted : FailureType.FailoverCompensated;
    throw ApplicationFailure.create({ message: summarise(this.saga.report), type: failureType, nonRetryable: true, details: [this.saga.report] });
  }
}
