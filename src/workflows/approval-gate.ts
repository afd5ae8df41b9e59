import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { formatDuration } from '../common/failover-report';
import { ApprovalDecisionSchema, formatIssues } from '../contracts/failover-inputs';
import { approveUpdate, rejectUpdate, type ApprovalState } from '../contracts/failover-messages';
import type { Saga } from './saga';
import { FailureType } from '../common/failure-types';

export interface ApprovalPolicy {
  required: boolean;
  timeoutMs: number;
  onTimeout: 'abort' | 'proceed';
}

/**
 * The approval gate: updates `approve` / `reject` with {operator, comment}. A validator refuses
 * invalid payloads (naming the field) and decisions that come too late or too early: an
 * approval is accepted only while the run waits at the gate (never blind, before the standby is
 * verified); a rejection is accepted any time before the gate is passed and stops the run at
 * the next step boundary. Without a decision the gate times out and applies the policy.
 */
export class ApprovalGate {
  readonly state: ApprovalState = { phase: 'pending', required: null };
  private finished = false;

  constructor(
    private readonly currentStep: () => string,
    private readonly onChange: () => void,
  ) {}

  install(): void {
    setHandler(approveUpdate, (d) => this.decide(true, d), { validator: (d) => this.validate(true, d) });
    setHandler(rejectUpdate, (d) => this.decide(false, d), { validator: (d) => this.validate(false, d) });
  }

  /** No decision is accepted any more (the run is compensating or done). */
  close(): void {
    this.finished = true;
  }

  private validate(approve: boolean, raw: unknown): void {
    const r = ApprovalDecisionSchema.safeParse(raw);
    if (!r.success) throw ApplicationFailure.nonRetryable(`invalid ${approve ? 'approve' : 'reject'} update: ${formatIssues(r.error)}`, FailureType.BadInput);
    const s = this.state;
    if (s.decision) {
      throw ApplicationFailure.nonRetryable(
        `already ${s.decision.approved ? 'approved' : 'rejected'} by ${s.decision.operator} at ${s.decision.at}`,
        FailureType.BadInput,
      );
    }
    if (this.finished) throw ApplicationFailure.nonRetryable('the run is finishing; nothing left to decide', FailureType.BadInput);
    if (s.phase === 'not-required')
      throw ApplicationFailure.nonRetryable('this run has no approval gate (not required by policy or input)', FailureType.BadInput);
    if (s.phase === 'timed-out') throw ApplicationFailure.nonRetryable(`the approval gate timed out; policy "${s.onTimeout}" applied`, FailureType.BadInput);
    if (approve && s.phase !== 'waiting') {
      throw ApplicationFailure.nonRetryable(
        `not at the approval gate yet (step: ${this.currentStep()}); approve once the standby is verified`,
        FailureType.BadInput,
      );
    }
  }

  private decide(approved: boolean, raw: unknown): ApprovalState {
    const d = ApprovalDecisionSchema.parse(raw);
    this.state.decision = { approved, operator: d.operator, ...(d.comment ? { comment: d.comment } : {}), at: new Date().toISOString() };
    if (this.state.phase === 'waiting' || !approved) this.state.phase = approved ? 'approved' : 'rejected';
    this.onChange();
    return { ...this.state };
  }

  /** The error that stops the run, once someone rejected it. */
  rejection(): ApplicationFailure | undefined {
    const d = this.state.decision;
    if (!d || d.approved) return undefined;
    return ApplicationFailure.nonRetryable(`rejected by ${d.operator}${d.comment ? `: ${d.comment}` : ''}`, FailureType.ApprovalRejected);
  }

  /** The gate as a saga step ("approval"), or a skipped step when not required. */
  async pass(saga: Saga, policy: ApprovalPolicy, skipWhy?: string): Promise<void> {
    const s = this.state;
    if (!policy.required) {
      s.required = false;
      s.phase = 'not-required';
      saga.skip('approval', skipWhy ?? 'not required');
      return;
    }
    s.required = true;
    s.onTimeout = policy.onTimeout;
    await saga.step(
      'approval',
      async () => {
        if (!s.decision) {
          s.phase = 'waiting';
          s.deadline = new Date(Date.now() + policy.timeoutMs).toISOString();
          this.onChange();
          const decided = await condition(() => s.decision !== undefined, policy.timeoutMs);
          if (!decided) {
            s.phase = 'timed-out';
            this.onChange();
            const waited = formatDuration(policy.timeoutMs);
            if (policy.onTimeout === 'abort')
              throw ApplicationFailure.nonRetryable(`no decision within ${waited}: aborted (approval.onTimeout: abort)`, FailureType.ApprovalTimedOut);
            return `no decision within ${waited}: proceeding (approval.onTimeout: proceed)`;
          }
        }
        const d = s.decision!;
        if (!d.approved) throw this.rejection()!;
        return `approved by ${d.operator}${d.comment ? `: ${d.comment}` : ''}`;
      },
      { detail: (t) => t },
    );
  }
}
