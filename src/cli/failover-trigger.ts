import type { Client, WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { parseOrThrow } from '../common/zod-errors';
import {
  drillWorkflowId,
  FailbackInputSchema,
  failoverWorkflowId,
  FailoverInputSchema,
  type FailbackInput,
  type FailoverInput,
} from '../contracts/failover-inputs';
import type { FailoverReport } from '../common/failover-report';
import { workflowRef } from '../contracts/workflows';

export interface Triggered {
  handle: WorkflowHandle;
  workflowId: string;
  runId: string;
  /** false: this call started the run; true: a run was already going and this trigger joined it. */
  joined: boolean;
  /** Workflow type of the run joined (a failover trigger may join a running failback). */
  workflowType: string;
}

/**
 * Start a failover (or drill) of a site, or join the one already running: the workflow id is
 * "failover-<site>" ("drill-<site>" for drills) and the start uses workflowIdConflictPolicy
 * USE_EXISTING, so any number of triggers (CLI, UI, Alertmanager through the bridge, the
 * prediction loop) result in one run. workflowIdReusePolicy ALLOW_DUPLICATE lets a new failover
 * start once the previous one has closed. Whether this call started the run is read back from
 * the memo (a random trigger id).
 */
export async function triggerFailover(client: Client, taskQueue: string, raw: FailoverInput): Promise<Triggered> {
  const input = parseOrThrow(FailoverInputSchema, raw, 'failover input');
  const workflowId = input.mode === 'drill' ? drillWorkflowId(input.site) : failoverWorkflowId(input.site);
  return start(
    client,
    workflowRef('failoverWorkflow'),
    taskQueue,
    workflowId,
    input,
    `${input.mode} ${input.mode === 'drill' ? 'drill' : 'failover'} of ${input.site} (${input.source})`,
  );
}

/** Start a failback of a site (same id as its failover: never both at once), or join the running run. */
export async function triggerFailback(client: Client, taskQueue: string, raw: FailbackInput): Promise<Triggered> {
  const input = parseOrThrow(FailbackInputSchema, raw, 'failback input');
  return start(client, workflowRef('failbackWorkflow'), taskQueue, failoverWorkflowId(input.site), input, `failback of ${input.site} (${input.source})`);
}

async function start<I>(
  client: Client,
  type: (input: I) => Promise<FailoverReport>,
  taskQueue: string,
  workflowId: string,
  input: I,
  summary: string,
): Promise<Triggered> {
  const triggerId = randomUUID();
  const handle = await client.workflow.start(type, {
    taskQueue,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    memo: { triggerId },
    staticSummary: summary,
  });
  const d = await handle.describe();
  return { handle, workflowId, runId: d.runId, joined: d.memo?.triggerId !== triggerId, workflowType: d.type };
}
