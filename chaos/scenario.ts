import type { Rng } from './rng';

/** One in-process prune by the harness: let time pass (capped, real time), maybe forget first, then prune. */
export interface PruneStep {
  delayMs: number;
  /** how long to let pass before this prune (PruneClock caps the real wait) */
  advanceMs: number;
  graceMs: number;
  /** forget by keepLast on this asset before pruning */
  forget?: { asset: string; keepLast: number };
}

export interface Scenario {
  index: number;
  /** source edits made before anything starts (no backup runs then) */
  edits: { asset: string; edits: number; revert?: boolean }[];
  /** the mark-then-dedup race: mark, back up old content again, delete with the clock past the grace */
  race?: string;
  backups: { asset: string; delayMs: number }[];
  prunes: PruneStep[];
  /** pruneWorkflow (forget by the plan's retention, then prune with the real clock) */
  pruneWorkflows: { delayMs: number; graceHours: number }[];
  /** restoreWorkflow of a snapshot committed earlier; killBatchWorker: kill -9 the worker running its batch */
  restores: { delayMs: number; pick: number; killBatchWorker: boolean }[];
  /** kill -9 whichever worker runs a backup batch at that moment */
  kills: { delayMs: number }[];
  serverRestart?: { delayMs: number; downMs: number };
}

export interface GenerateOptions {
  scale: number;
  assets: string[];
  /** scenario numbers (0-based) that restart the Temporal server */
  restartIn: Set<number>;
}

/** Draw one scenario. Pure: the same rng state gives the same scenario. */
export function generateScenario(rng: Rng, index: number, o: GenerateOptions): Scenario {
  const n = (lo: number, hi: number) => rng.int(Math.round(lo * o.scale), Math.round(hi * o.scale));
  const edits: Scenario['edits'] = o.assets.filter(() => index > 0 && rng.chance(0.7)).map((asset) => ({ asset, edits: rng.int(1, 5) }));
  const backups = Array.from({ length: n(2, 4) }, () => ({ asset: rng.pick(o.assets), delayMs: rng.int(0, 2500) }));
  // the same data at once: usually two backups of one asset start together
  if (rng.chance(0.7)) backups.push({ asset: backups[0].asset, delayMs: backups[0].delayMs + rng.int(0, 300) });
  const prunes: PruneStep[] = Array.from({ length: rng.int(1, 3) }, () => ({
    delayMs: rng.int(0, 6000),
    advanceMs: rng.pick([0, 1000, 5000, 60_000]),
    graceMs: rng.pick([0, 1000, 5000]),
    ...(rng.chance(0.7) ? { forget: { asset: rng.pick(o.assets), keepLast: rng.int(1, 2) } } : {}),
  }));
  let race: string | undefined;
  if (index > 0 && rng.chance(0.6)) {
    // forget all but the newest snapshot and mark what only the others used; bring an old
    // version of a large file back and back it up (dedup against the marked packs); prune
    // again with the clock past the grace while those backups run
    race = rng.pick(o.assets);
    edits.push({ asset: race, edits: 1, revert: true });
    prunes.push({ delayMs: 0, advanceMs: 0, graceMs: 5000, forget: { asset: race, keepLast: 1 } });
    const at = rng.int(300, 1200);
    backups.push({ asset: race, delayMs: at }, { asset: race, delayMs: at + rng.int(0, 400) });
    prunes.push({ delayMs: at + rng.int(300, 3000), advanceMs: 60_000, graceMs: 5000 });
  }
  const pruneWorkflows = rng.chance(0.3) ? [{ delayMs: rng.int(0, 5000), graceHours: rng.pick([0, 0.0005]) }] : [];
  const restores =
    index === 0 ? [] : Array.from({ length: rng.int(1, 2) }, () => ({ delayMs: rng.int(0, 4000), pick: rng.int(0, 1e6), killBatchWorker: rng.chance(0.6) }));
  const kills = Array.from({ length: rng.int(0, 1) + (rng.chance(0.3 * o.scale) ? 1 : 0) }, () => ({ delayMs: rng.int(300, 5000) }));
  const serverRestart = o.restartIn.has(index) ? { delayMs: rng.int(1000, 5000), downMs: rng.int(500, 3000) } : undefined;
  return { index, edits, backups, prunes, pruneWorkflows, restores, kills, ...(serverRestart ? { serverRestart } : {}), ...(race ? { race } : {}) };
}

export function describeScenario(s: Scenario): string {
  const parts = [
    `${s.backups.length} backups (${s.backups.map((b) => `${b.asset}@${b.delayMs}`).join(' ')})`,
    `${s.prunes.length} prunes (${s.prunes.map((p) => `+${p.advanceMs}ms grace ${p.graceMs}${p.forget ? ` forget ${p.forget.asset} keep ${p.forget.keepLast}` : ''}`).join('; ')})`,
  ];
  if (s.pruneWorkflows.length) parts.push(`pruneWorkflow graceHours ${s.pruneWorkflows.map((p) => p.graceHours).join(',')}`);
  if (s.restores.length) parts.push(`${s.restores.length} restores${s.restores.some((r) => r.killBatchWorker) ? ' (kill batch worker)' : ''}`);
  if (s.kills.length) parts.push(`${s.kills.length} kills`);
  if (s.serverRestart) parts.push(`server restart @${s.serverRestart.delayMs}ms`);
  if (s.race) parts.push(`mark/dedup/delete race on ${s.race}`);
  return parts.join(', ');
}
