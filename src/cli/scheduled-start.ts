import type { ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { WorkflowContracts, WorkflowName } from '../contracts/workflows';

type StartOptions<N extends WorkflowName> = Omit<ScheduleOptionsStartWorkflowAction<WorkflowContracts[N]>, 'type' | 'workflowType'>;

/**
 * A schedule's start action, typed by the workflow's contract: the type is kept by name (as the
 * schedule stores and describes it), but the name must be a contract's and the args its input,
 * so a renamed workflow or a changed field fails the build.
 */
export function scheduledStart<N extends WorkflowName>(workflowType: N, options: StartOptions<N>): ScheduleOptionsStartWorkflowAction<WorkflowContracts[N]> {
  return { type: 'startWorkflow', workflowType, ...options };
}
