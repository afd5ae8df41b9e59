import { CancellationScope, isCancellation, log } from '@temporalio/workflow';
import type { Compensation, FailoverReport, Step } from '../common/failover-report';
import { failureText } from '../common/failure-text';

export interface Undo {
  name: string;
  run: () => Promise<unknown>;
  /** A failure is recorded as "skipped" (e.g. unfencing a primary that is down) instead of failing the run. */
  bestEffort: boolean;
}

export interface StepOptions<T> {
  /** One line for the report, from the step's result. */
  detail?: (r: T) => string | undefined;
}

const now = (): string => new Date().toISOString();

/**
 * The saga of a failover run: steps are recorded into the report as they start and end, each
 * step registers its compensation (undo) before it moves on, and `compensate()` runs the
 * registered undos in reverse inside a non-cancellable scope (each undo is an activity with
 * its own retry policy). Deterministic: times are the workflow clock.
 */
export class Saga {
  current = 'starting';
  phase: 'running' | 'compensating' | 'done' = 'running';
  private undos: Undo[] = [];

  constructor(
    public report: FailoverReport,
    private readonly onChange: () => void,
    /** Checked before every step: a rejection stops the run at the next step boundary (recorded as a failed `step`). */
    private readonly abortRequested: () => { step: string; error: Error } | undefined = () => undefined,
  ) {}

  /** Run one step; a failure marks it failed and is rethrown. */
  async step<T>(name: string, fn: () => Promise<T>, o: StepOptions<T> = {}): Promise<T> {
    const stop = this.abortRequested();
    if (stop) {
      const t = now();
      this.report.steps.push({
        name: stop.step,
        startedAt: t,
        endedAt: t,
        status: 'failed',
        attempts: 1,
        error: stop.error.message,
        detail: `before step ${name}`,
      });
      this.onChange();
      throw stop.error;
    }
    const s: Step = { name, startedAt: now(), status: 'running', attempts: 1 };
    this.report.steps.push(s);
    this.current = name;
    this.onChange();
    try {
      const r = await fn();
      s.status = 'ok';
      const attempt = (r as { attempt?: unknown } | undefined)?.attempt;
      if (typeof attempt === 'number') s.attempts = attempt;
      const d = o.detail?.(r);
      if (d) s.detail = d;
      return r;
    } catch (e) {
      s.status = 'failed';
      s.error = isCancellation(e) ? 'cancelled' : failureText(e);
      throw e;
    } finally {
      s.endedAt = now();
      this.onChange();
    }
  }

  /** A step whose failure is tolerated (unplanned fence): recorded as skipped with the error; cancellation still stops the run. */
  async tryStep<T>(name: string, fn: () => Promise<T>, o: StepOptions<T> = {}): Promise<T | undefined> {
    try {
      return await this.step(name, fn, o);
    } catch (e) {
      if (isCancellation(e)) throw e;
      const s = this.report.steps[this.report.steps.length - 1];
      s.status = 'skipped';
      s.detail = `best effort, carrying on: ${s.error}`;
      this.onChange();
      log.warn('best-effort step failed', { step: name, error: s.error });
      return undefined;
    }
  }

  skip(name: string, why: string): void {
    const t = now();
    this.report.steps.push({ name, startedAt: t, endedAt: t, status: 'skipped', attempts: 0, detail: why });
    this.onChange();
  }

  /** Register how to undo what the current step is about to do. */
  onUndo(name: string, run: () => Promise<unknown>, o: { bestEffort?: boolean } = {}): void {
    this.undos.push({ name, run, bestEffort: o.bestEffort ?? false });
  }

  /** Take back the registered undos (for a drill's normal cleanup, or to forget them on success). */
  takeUndos(): Undo[] {
    const u = this.undos;
    this.undos = [];
    return u;
  }

  get pendingUndos(): string[] {
    return this.undos.map((u) => u.name);
  }

  /** Run undos in reverse, non-cancellable; every one is attempted. Returns false when one failed. */
  async compensate(): Promise<boolean> {
    this.phase = 'compensating';
    this.current = 'compensating';
    this.onChange();
    const undos = this.takeUndos().reverse();
    const ok = await runUndos(undos, this.report.compensations, () => this.onChange());
    return ok;
  }
}

/** Run undos in the given order inside a non-cancellable scope, recording each into `into`. */
export async function runUndos(undos: Undo[], into: Compensation[], onChange: () => void): Promise<boolean> {
  let allOk = true;
  await CancellationScope.nonCancellable(async () => {
    for (const u of undos) {
      const c: Compensation = { name: u.name, status: 'ok', startedAt: now() };
      into.push(c);
      onChange();
      try {
        await u.run();
      } catch (e) {
        c.error = failureText(e);
        c.status = u.bestEffort ? 'skipped' : 'failed';
        if (!u.bestEffort) allOk = false;
        log.error('compensation failed', { compensation: u.name, error: c.error, bestEffort: u.bestEffort });
      }
      c.endedAt = now();
      onChange();
    }
  });
  return allOk;
}

/** Like Promise.all, but waits for every job before failing: no child may still run while compensations start. */
export async function allSettledOrThrow<T>(jobs: Promise<T>[]): Promise<T[]> {
  const rs = await Promise.allSettled(jobs);
  const failed = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return rs.map((r) => (r as PromiseFulfilledResult<T>).value);
}
