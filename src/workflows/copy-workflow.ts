import { proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { parseInput } from './parse-input';
import type { CopyActivities } from '../activities/copy-activity-types';
import { batchStep, shortStep } from './activity-options';
import { CopyInputSchema, type CopyResult, type CopyStep } from '../contracts/copy-inputs';
import { humanBytes } from '../common/format';
import { SA_KIND } from './search-attribute-keys';

const pick = proxyActivities<CopyActivities>(shortStep);
const move = proxyActivities<CopyActivities>({ ...batchStep, heartbeatTimeout: '2 minutes' });

/**
 * Copy snapshots to a second repository (a copy target of the worker's plan), one snapshot per
 * activity so a retry redoes at most one and finds what it already wrote. Input:
 * {"target": "dr-east"} (every snapshot the target lacks), {"target": "dr-east", "snapshots": "latest"}
 * or {"target": "dr-east", "snapshots": ["3fa9c2d1"]}.
 */
export async function copyWorkflow(raw: unknown): Promise<CopyResult> {
  const input = parseInput(CopyInputSchema, raw, 'input');
  upsertSearchAttributes([{ key: SA_KIND, value: 'copy' }]);
  const ids = await pick.selectCopySnapshots(input);
  const steps: CopyStep[] = [];
  let bytes = 0;
  for (const [i, snapshot] of ids.entries()) {
    setCurrentDetails(`copying snapshot ${i + 1}/${ids.length} (${snapshot.slice(0, 8)}) to ${input.target}; ${humanBytes(bytes)} written so far`);
    const s = await move.copySnapshotTo({ target: input.target, snapshot });
    bytes += s.bytesUploaded;
    steps.push(s);
  }
  const copied = steps.filter((s) => s.copied);
  const summary = `${copied.length} of ${ids.length} snapshot(s) copied to ${input.target} (${steps.length - copied.length} already there); ${copied.reduce((n, s) => n + s.blobsCopied, 0)} blobs, ${humanBytes(bytes)} written`;
  setCurrentDetails(summary);
  return { target: input.target, steps, summary };
}
