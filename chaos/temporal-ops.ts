import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry a client call through a server restart: anything but a workflow's own failure is retried until `budgetMs`. */
export async function persist<T>(fn: () => Promise<T>, budgetMs = 120_000): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof WorkflowFailedError || Date.now() > deadline) throw e;
      await sleep(500);
    }
  }
}

export async function startWorkflow(client: Client, type: string, workflowId: string, taskQueue: string, input: unknown): Promise<WorkflowHandle> {
  // start is idempotent by workflow id: a retry after a lost answer finds the run already there
  return persist(async () => {
    try {
      return await client.workflow.start(type, { taskQueue, workflowId, args: [input] });
    } catch (e) {
      if ((e as Error).name === 'WorkflowExecutionAlreadyStartedError') return client.workflow.getHandle(workflowId);
      throw e;
    }
  });
}

export async function resultOf<T>(h: WorkflowHandle, budgetMs: number): Promise<T> {
  return persist(() => h.result() as Promise<T>, budgetMs);
}

export interface RunningActivity {
  workflowId: string;
  type: string;
  /** pid from the worker identity "pid@host"; undefined before a worker picked it up */
  pid?: number;
}

const STARTED = 2; // PENDING_ACTIVITY_STATE_STARTED

/** Activities a worker is executing right now, over the given runs. */
export async function runningActivities(handles: WorkflowHandle[]): Promise<RunningActivity[]> {
  const out: RunningActivity[] = [];
  for (const h of handles) {
    try {
      const d = await h.describe();
      if (d.status.name !== 'RUNNING') continue;
      for (const a of d.raw.pendingActivities ?? []) {
        if (a.state !== STARTED) continue;
        const pid = Number(/^(\d+)@/.exec(a.lastWorkerIdentity ?? '')?.[1]);
        out.push({ workflowId: h.workflowId, type: a.activityType?.name ?? '?', pid: Number.isFinite(pid) ? pid : undefined });
      }
    } catch {
      // server restarting: nothing known right now
    }
  }
  return out;
}

/**
 * A worker whose running activities are all batch activities: killing it costs one batch
 * heartbeat timeout (20 s) instead of a short step's 2 minutes.
 */
export function pickBatchOnlyWorker(acts: RunningActivity[], batchType: string, pids: number[]): number | undefined {
  const byPid = new Map<number, string[]>();
  for (const a of acts) if (a.pid !== undefined) byPid.set(a.pid, [...(byPid.get(a.pid) ?? []), a.type]);
  for (const pid of pids) {
    const types = byPid.get(pid);
    if (types?.length && types.every((t) => t === batchType || t === 'backupBatch' || t === 'restoreBatch')) {
      if (types.includes(batchType)) return pid;
    }
  }
  return undefined;
}
