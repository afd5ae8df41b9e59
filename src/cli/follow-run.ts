import type { WorkflowHandle } from '@temporalio/client';
import { humanBytes } from '../common/format';
import { progressQuery } from '../contracts/messages';
import type { RunProgress } from '../contracts/types';
import { awaitWithBar } from './polled-bar';

/** Wait for a backup/restore run's result, drawing a progress bar from its `progress` query on a terminal. */
export async function followRun<T>(handle: WorkflowHandle, showBar: boolean): Promise<T> {
  const result = handle.result() as Promise<T>;
  if (!showBar) return result;
  return awaitWithBar(result, {
    format: '{phase} |{bar}| {percentage}% {done}/{total} batches {bytes}',
    query: (): Promise<RunProgress> => handle.query(progressQuery),
    view: (p) => ({
      total: Math.max(1, p.batches),
      value: p.batchesDone,
      payload: { phase: p.phase.padEnd(10), done: p.batchesDone, bytes: `${humanBytes(p.bytesDone)} / ${humanBytes(p.bytesTotal)}` },
    }),
  });
}
