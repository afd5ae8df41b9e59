import type { Client } from '@temporalio/client';

/**
 * Who ran what in workflow histories: the ActivityTaskStarted identity of each activity
 * attempt ("pid@host" unless the worker sets its own) and the WorkflowTaskCompleted identities.
 */
export interface Tally {
  /** backupBatch attempts started per worker identity */
  batches: Record<string, number>;
  /** all activity attempts started per worker identity */
  activities: Record<string, number>;
  /** workflow tasks completed per worker identity */
  tasks: Record<string, number>;
  /** why earlier attempts ended (timeout type or failure), per activity type */
  retryCauses: Record<string, number>;
  /** activity attempts after the first */
  retries: number;
}

export const emptyTally = (): Tally => ({ batches: {}, activities: {}, tasks: {}, retryCauses: {}, retries: 0 });

const bump = (m: Record<string, number>, k: string) => void (m[k] = (m[k] ?? 0) + 1);

/** Adds one workflow's history to `t`. */
export async function tallyHistory(client: Client, workflowId: string, t: Tally): Promise<Tally> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const typeOf = new Map<string, string>();
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) typeOf.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const who = started.identity ?? '?';
      const type = typeOf.get(String(started.scheduledEventId));
      bump(t.activities, who);
      if (type === 'backupBatch') bump(t.batches, who);
      if ((started.attempt ?? 1) > 1) {
        t.retries++;
        const timeout = started.lastFailure?.timeoutFailureInfo;
        const cause = timeout ? `${type}: timeout ${String(timeout.timeoutType)}` : `${type}: ${started.lastFailure?.message ?? '?'}`;
        bump(t.retryCauses, cause.slice(0, 200));
      }
    }
    if (e.workflowTaskCompletedEventAttributes) bump(t.tasks, e.workflowTaskCompletedEventAttributes.identity ?? '?');
  }
  return t;
}
