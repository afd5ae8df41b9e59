import type { Connection } from '@temporalio/client';

/**
 * A worker long-polls for up to a minute, and the server notes each poll's start: a poller seen
 * within this window is taken as alive. The server forgets pollers only after minutes, so a
 * worker that died is noticed this long after its death.
 */
export const LIVE_POLLER_WINDOW_MS = 75_000;

/** TaskQueueKind NORMAL and TaskQueueType WORKFLOW / ACTIVITY of the Temporal API (temporal.api.enums.v1). */
const NORMAL = 1;
const TASK_QUEUE_TYPES = { workflow: 1, activity: 2 } as const;

export interface TaskQueuePollers {
  workflow: number;
  activity: number;
}

/** How many workers polled the queue's workflow and activity tasks lately (DescribeTaskQueue). */
export async function livePollers(
  connection: Pick<Connection, 'workflowService'>,
  namespace: string,
  taskQueue: string,
  now = Date.now(),
): Promise<TaskQueuePollers> {
  const count = async (taskQueueType: number) => {
    const r = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue, kind: NORMAL }, taskQueueType });
    return (r.pollers ?? []).filter((p) => {
      const s = p.lastAccessTime?.seconds;
      const seconds = s == null ? 0 : Number(s.toString());
      return seconds === 0 || now - seconds * 1000 < LIVE_POLLER_WINDOW_MS;
    }).length;
  };
  const [workflow, activity] = await Promise.all([count(TASK_QUEUE_TYPES.workflow), count(TASK_QUEUE_TYPES.activity)]);
  return { workflow, activity };
}
