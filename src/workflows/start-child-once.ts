import type { WithWorkflowArgs } from '@temporalio/common';
import { isCancellation, startChild, type ChildWorkflowOptions, type Workflow } from '@temporalio/workflow';
import type { WorkflowContracts } from '../contracts/workflows';
import { errText } from './prediction-carry';

export interface ChildStart {
  /** started: this call started it; joined: one with this id already runs (or ran in this slot); failed: not started. */
  readonly outcome: 'started' | 'joined' | 'failed';
  /** Why it failed (outcome 'failed'). */
  readonly error?: string;
}

const alreadyStarted = (e: unknown): boolean => (e as { name?: string })?.name === 'WorkflowExecutionAlreadyStartedError';

/**
 * Starts a child workflow (a contract's workflowRef, so its args are the contract's input) once
 * per workflow id: "already started" is an outcome, not an error, so the loop's training,
 * pre-emptive backups and failover requests are idempotent per id. Cancellation of the caller
 * propagates; any other failure is returned as 'failed'.
 */
export async function startChildOnce<W extends WorkflowContracts[keyof WorkflowContracts] & Workflow>(
  workflow: W,
  options: WithWorkflowArgs<W, Omit<ChildWorkflowOptions, 'typeInfo'> & { typeInfo?: undefined; workflowId: string }>,
): Promise<ChildStart> {
  try {
    await startChild(workflow, options);
    return { outcome: 'started' };
  } catch (e) {
    if (isCancellation(e)) throw e;
    return alreadyStarted(e) ? { outcome: 'joined' } : { outcome: 'failed', error: errText(e) };
  }
}
