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
  activityId: string;
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
        out.push({
          workflowId: h.workflowId,
          activityId: a.activityId ?? '',
          type: a.activityType?.name ?? '?',
          pid: Number.isFinite(pid) ? pid : undefined,
          ...(progress ? { progress } : {}),
        });
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
export function pickBatchOnlyWorker(
  acts: RunningActivity[],
  targets: Set<string>,
  batchType: string,
  pids: number[],
  ready: (a: RunningActivity) => boolean = () => true,
): number | undefined {
  for (const pid of pids) {
    const mine = acts.filter((a) => a.pid === pid);
    if (!mine.some((a) => a.type === batchType && targets.has(a.workflowId) && ready(a))) continue;
    if (mine.every((a) => BATCH_TYPES.has(a.type))) return pid;
  }
  return undefined;
}

export const BATCH_TYPES: ReadonlySet<string> = new Set(['backupBatch', 'restoreBatch']);

/**
 * After a kill -9: fail the short steps (plan, commit, finish...) the dead worker had started,
 * through the async-completion API, so their retry starts now instead of after the 2-minute
 * heartbeat timeout. Batches are left alone: their 20 s timeout and heartbeat resume are part
 * of what is under test. Returns the activities failed.
 */
export async function failOrphanedShortSteps(client: Client, handles: WorkflowHandle[], deadPid: number): Promise<string[]> {
  const { acts } = await runningActivities(handles);
  const out: string[] = [];
  for (const a of acts) {
    if (a.pid !== deadPid || BATCH_TYPES.has(a.type)) continue;
    try {
      await client.activity.fail(
        { workflowId: a.workflowId, activityId: a.activityId },
        new Error(`chaos: worker ${deadPid} was killed while running ${a.type}`),
      );
      out.push(`${a.type} of ${a.workflowId}`);
    } catch {
      // finished or retried meanwhile
    }
  }
  return out;
}

/** Activity timeouts and failures of a run, for the log of a run that took long. */
export async function historyTrouble(h: WorkflowHandle): Promise<string[]> {
  try {
    const events = (await h.fetchHistory()).events ?? [];
    const names = new Map(
      events
        .filter((e) => e.activityTaskScheduledEventAttributes)
        .map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?']),
    );
    const out: string[] = [];
    for (const e of events) {
      const t = e.activityTaskTimedOutEventAttributes;
      if (t) out.push(`${names.get(String(t.scheduledEventId))} timed out (${t.failure?.message ?? ''})`);
      const f = e.activityTaskFailedEventAttributes;
      if (f) out.push(`${names.get(String(f.scheduledEventId))} failed: ${f.failure?.message ?? ''}`);
    }
    return out;
  } catch {
    return [];
  }
}
