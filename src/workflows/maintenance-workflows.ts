import { ApplicationFailure, proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { parseInput } from './parse-input';
import type { MaintenanceActivities } from '../activities/maintenance-activity-types';
import { shortStep } from './activity-options';
import { humanBytes } from '../common/format';
import { PruneInputSchema, StatsInputSchema, VerifyInputSchema, type StatsResult } from '../contracts/maintenance-inputs';
import { statsSummary } from './stats-summary';
import { SA_KIND } from './search-attribute-keys';

const act = proxyActivities<MaintenanceActivities>({ ...shortStep, startToCloseTimeout: '6 hours', heartbeatTimeout: '2 minutes' });

/** Retention then two-phase prune. Input from the UI: {} or {"graceHours": 24, "dryRun": true}. */
export async function pruneWorkflow(raw: unknown) {
  const input = parseInput(PruneInputSchema, raw, 'input');
  upsertSearchAttributes([{ key: SA_KIND, value: 'prune' }]);
  const forgotten = input.forget ? await act.forgetByRetention({ dryRun: input.dryRun }) : [];
  const r = await act.pruneRepository({ graceHours: input.graceHours, dryRun: input.dryRun });
  const blocked = r.blocked ? `; NOTHING DELETED: ${r.blocked}` : '';
  const invalid = r.invalidSnapshots.length ? `; ${r.invalidSnapshots.length} snapshot(s) failed their signature (data kept)` : '';
  // reports of workers from before repack lack its fields
  const repacked = r.repacked
    ? `; ${input.dryRun ? 'would repack' : 'repacked'} ${r.repacked} sparse packs${input.dryRun ? '' : ` (copied ${humanBytes(r.repackedBytes)})`}`
    : '';
  // reports of workers from before immutability lack `locked`
  const locked = r.locked ? `; ${r.locked} packs held by Object Lock (until ${r.lockedUntil ?? '?'})` : '';
  const summary = `${input.dryRun ? 'dry run: ' : ''}forgot ${forgotten.reduce((n, f) => n + f.forgotten.length, 0)} snapshots; marked ${r.marked}, deleted ${r.deleted} packs, freed ${humanBytes(r.bytesFreed)}${repacked}${locked}${invalid}${blocked}`;
  setCurrentDetails(summary);
  return { forgotten, prune: r, summary };
}

/** Structure check plus read-data of a sample. Input from the UI: {"readData": 0.1}. Fails when anything is wrong. */
export async function verifyWorkflow(raw: unknown) {
  const input = parseInput(VerifyInputSchema, raw, 'input');
  upsertSearchAttributes([{ key: SA_KIND, value: 'verify' }]);
  const r = await act.verifyRepository({ readData: input.readData });
  const summary = `${r.snapshots} snapshots, ${r.packs} packs, read ${r.packsRead} (${humanBytes(r.bytesRead)}): ${r.errors.length ? `${r.errors.length} ERRORS` : 'ok'}`;
  setCurrentDetails(summary);
  if (r.errors.length) throw ApplicationFailure.nonRetryable(`repository verification failed: ${r.errors.slice(0, 10).join('; ')}`, 'IntegrityError', r);
  return { ...r, summary };
}

/**
 * What the repository holds and costs: logical vs stored bytes, dedup and compression, objects
 * per prefix, growth per snapshot, a monthly estimate from the plan's prices. Input: {} or {"asset": "checkpoints"}.
 */
export async function statsWorkflow(raw: unknown): Promise<StatsResult> {
  const input = parseInput(StatsInputSchema, raw, 'input');
  upsertSearchAttributes([{ key: SA_KIND, value: 'stats' }]);
  const r = await act.repositoryStats(input);
  const summary = statsSummary(r);
  setCurrentDetails(summary);
  return { ...r, summary };
}
