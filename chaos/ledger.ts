import type { FaultKind } from './proxy';
import type { TreeState } from './tree-state';

export interface Expected {
  asset: string;
  scenario: number;
  workflowId: string;
  state: TreeState;
}

export type FindingKind =
  'lost' | 'corrupt' | 'verify' | 'bad-restore-reported-ok' | 'tmp-leftover' | 'backup-failed' | 'restore-failed' | 'prune-failed' | 'stuck';

/** A finding of the harness, with the scenario it showed up in (replay: same --seed). */
export interface Finding {
  scenario: number;
  kind: FindingKind;
  detail: string;
}

/** Kinds that make the run fail: data lost or wrong, or garbage left behind. */
export const FATAL: ReadonlySet<FindingKind> = new Set(['lost', 'corrupt', 'verify', 'bad-restore-reported-ok', 'tmp-leftover', 'stuck']);

/** Everything the harness knows independently of the repository: what each snapshot must contain. */
export class Ledger {
  readonly expected = new Map<string, Expected>();
  readonly forgotten = new Set<string>();
  /** snapshots already reported lost or corrupt (reported once) */
  readonly broken = new Set<string>();
  readonly findings: Finding[] = [];
  /** verify errors already reported (a missing pack stays missing: reported once) */
  readonly verifyErrorsSeen = new Set<string>();
  counters = {
    backupsStarted: 0,
    backupsOk: 0,
    restoresByWorkflow: 0,
    restoresByWorkflowOk: 0,
    restoresChecked: 0,
    restoreBatchKills: 0,
    /** restore batches that finished on a later attempt after their worker was killed */
    restoresResumed: 0,
    prunes: 0,
    packsDeleted: 0,
    snapshotsForgotten: 0,
  };
  faults: Partial<Record<FaultKind, number>> = {};
  proxyRequests = 0;
  tmpLeftover = 0;
  /** restored entries whose mtime lost its sub-microsecond digits (known, not fatal) */
  mtimeDrift = 0;

  committed(id: string, e: Expected): void {
    this.expected.set(id, e);
  }

  forget(ids: Iterable<string>): void {
    for (const id of ids) {
      if (!this.forgotten.has(id)) this.counters.snapshotsForgotten++;
      this.forgotten.add(id);
    }
  }

  /** Committed, not forgotten, not yet found broken. */
  live(): [string, Expected][] {
    return [...this.expected].filter(([id]) => !this.forgotten.has(id) && !this.broken.has(id));
  }

  find(scenario: number, kind: FindingKind, detail: string): void {
    this.findings.push({ scenario, kind, detail });
  }

  count(kind: FindingKind): number {
    return this.findings.filter((f) => f.kind === kind).length;
  }
}
