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
  /** its last heartbeat (JSON payload), if any */
  progress?: Record<string, unknown>;
}

function decodeHeartbeat(data: Uint8Array | null | undefined): Record<string, unknown> | undefined {
  if (!data?.length) return undefined;
  try {
    const v = JSON.parse(Buffer.from(data).toString('utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const STARTED = 2; // PENDING_ACTIVITY_STATE_STARTED

/** Activities a worker is executing right now, over the given runs; `open`: how many runs are still running. */
export async function runningActivities(handles: WorkflowHandle[]): Promise<{ acts: RunningActivity[]; open: number }> {
  const out: RunningActivity[] = [];
  let open = 0;
  for (const h of handles) {
    try {
      const d = await h.describe();
      if (d.status.name !== 'RUNNING') continue;
      open++;
      for (const a of d.raw.pendingActivities ?? []) {
        if (a.state !== STARTED) continue;
        const pid = Number(/^(\d+)@/.exec(a.lastWorkerIdentity ?? '')?.[1]);
        const progress = decodeHeartbeat(a.heartbeatDetails?.payloads?.[0]?.data);
        out.push({ workflowId: h.workflowId, type: a.activityType?.name ?? '?', pid: Number.isFinite(pid) ? pid : undefined, ...(progress ? { progress } : {}) });
      }
    } catch {
      open++; // server restarting: nothing known right now
    }
  }
  return { acts: out, open };
}

/**
 * A worker running a `batchType` activity of one of `targets` and nothing but batch activities
 * (over every run): killing it costs one batch heartbeat timeout (20 s) instead of a short
 * step's 2 minutes.
 */
export function pickBatchOnlyWorker(acts: RunningActivity[], targets: Set<string>, batchType: string, pids: number[], ready: (a: RunningActivity) => boolean = () => true): number | undefined {
  for (const pid of pids) {
    const mine = acts.filter((a) => a.pid === pid);
    if (!mine.some((a) => a.type === batchType && targets.has(a.workflowId) && ready(a))) continue;
    if (mine.every((a) => a.type === 'backupBatch' || a.type === 'restoreBatch')) return pid;
  }
  return undefined;
}
