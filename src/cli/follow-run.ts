import type { Client, WorkflowHandle } from '@temporalio/client';
import cliProgress from 'cli-progress';
import { humanBytes } from '../workflows/format';
import { progressQuery } from '../workflows/messages';
import type { RunProgress } from '../workflows/types';

/** Wait for a run's result, drawing a progress bar from its `progress` query on a terminal. */
export async function followRun<T>(client: Client, handle: WorkflowHandle, showBar: boolean): Promise<T> {
  void client;
  const result = handle.result() as Promise<T>;
  if (!showBar) return result;
  const bar = new cliProgress.SingleBar(
    { format: '{phase} |{bar}| {percentage}% {done}/{total} batches {bytes}', hideCursor: true, stream: process.stderr, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let finished = false;
  const poll = async () => {
    while (!finished) {
      try {
        const p: RunProgress = await handle.query(progressQuery);
        const payload = { phase: p.phase.padEnd(10), done: p.batchesDone, bytes: `${humanBytes(p.bytesDone)} / ${humanBytes(p.bytesTotal)}` };
        if (!started) {
          bar.start(Math.max(1, p.batches), p.batchesDone, payload);
          started = true;
        }
        bar.setTotal(Math.max(1, p.batches));
        bar.update(p.batchesDone, payload);
      } catch {
        // not started by a worker yet, or finished: keep waiting for the result
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const polling = poll();
  try {
    return await result;
  } finally {
    finished = true;
    await polling;
    if (started) bar.stop();
  }
}
