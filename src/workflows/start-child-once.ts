import { isCancellation, startChild, type ChildWorkflowOptions } from '@temporalio/workflow';
import { errText } from './prediction-carry';

export interface ChildStart {
  /** started: this call started it; joined: one with this id already runs (or ran in this slot); failed: not started. */
  readonly outcome: 'started' | 'joined' | 'failed';
  /** Why it failed (outcome 'failed'). */
  readonly error?: string;
}

const alreadyStarted = (e: unknown): boolean => (e as { name?: string })?.name === 'WorkflowExecutionAlreadyStartedError';

/**
 * Starts a child workflow by type once per workflow id: "already started" is an outcome, not an
 * error, so the loop's training, pre-emptive backups and failover requests are idempotent per id.
 * Cancellation of the caller propagates; any other failure is returned as 'failed'.
 */
export async function startChildOnce(workflowType: string, options: ChildWorkflowOptions & { workflowId: string; args: unknown[] }): Promise<ChildStart> {
  try {
    await startChild(workflowType, options);
    return { outcome: 'started' };
  } catch (e) {
    if (isCancellation(e)) throw e;
    return alreadyStarted(e) ? { outcome: 'joined' } : { outcome: 'failed', error: errText(e) };
  }
}
