import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { FailoverReport } from '../common/failover-report';
import type { ApprovalDecisionInput } from './failover-inputs';

/**
 * Messages of failoverWorkflow and failbackWorkflow, shared by workflows, CLI and bridge.
 *
 *   query  status                     -> FailoverStatus
 *   update approve {operator, comment} -> ApprovalState (refused by its validator when invalid)
 *   update reject  {operator, comment} -> ApprovalState
 */

export type ApprovalPhase = 'pending' | 'waiting' | 'approved' | 'rejected' | 'timed-out' | 'not-required';

export interface ApprovalState {
  phase: ApprovalPhase;
  /** null until the run knows the site's policy */
  required: boolean | null;
  /** ISO time the gate gives up (while waiting) */
  deadline?: string;
  onTimeout?: 'abort' | 'proceed';
  decision?: { approved: boolean; operator: string; comment?: string; at: string };
}

export interface FailoverStatus {
  workflowId: string;
  reportId: string;
  site: string;
  mode: 'planned' | 'unplanned' | 'drill' | 'failback';
  /** The step running now, or "compensating" / "done". */
  step: string;
  phase: 'running' | 'compensating' | 'done';
  approval: ApprovalState;
  /** The report as it stands (steps so far, compensations, figures). */
  report: FailoverReport;
}

export const failoverStatusQuery = defineQuery<FailoverStatus>('status');
export const approveUpdate = defineUpdate<ApprovalState, [ApprovalDecisionInput]>('approve');
export const rejectUpdate = defineUpdate<ApprovalState, [ApprovalDecisionInput]>('reject');
