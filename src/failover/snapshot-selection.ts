import { BadInputError } from '../common/errors';
import type { Repository } from '../engine/repo/repository';
import type { SnapshotManifest } from '../engine/repo/snapshot';
import type { SelectedSnapshot } from '../contracts/failover-types';

export interface SnapshotChoice {
  /** One snapshot id (any length the repository resolves): it picks the snapshot of its asset. */
  snapshot?: string;
  /** Snapshot ids by asset. */
  snapshots?: Record<string, string>;
  /** Otherwise the newest before this time, or the newest. */
  before?: string;
}

/**
 * The snapshot per asset of a side's restore list: an explicit id, the newest before a time, or
 * the newest (signatures verified by the repository). `where` names the side in refusals
 * ("the standby of eu").
 */
export async function selectSnapshots(
  repo: Pick<Repository, 'resolveSnapshot'>,
  assets: readonly string[],
  where: string,
  choice: SnapshotChoice,
): Promise<SelectedSnapshot[]> {
  const explicit = new Map<string, string>();
  if (choice.snapshot) {
    const m = await repo.resolveSnapshot(undefined, { id: choice.snapshot });
    if (!assets.includes(m.asset))
      throw new BadInputError(`snapshot: ${m.id.slice(0, 12)} is a snapshot of "${m.asset}", which ${where} does not restore (${assets.join(', ')})`);
    explicit.set(m.asset, m.id);
  }
  for (const [asset, id] of Object.entries(choice.snapshots ?? {})) {
    if (!assets.includes(asset)) throw new BadInputError(`snapshots.${asset}: ${where} does not restore "${asset}" (${assets.join(', ')})`);
    explicit.set(asset, id);
  }
  const out: SelectedSnapshot[] = [];
  for (const asset of assets) {
    const id = explicit.get(asset);
    let m: SnapshotManifest;
    if (id) {
      m = await repo.resolveSnapshot(undefined, { id });
      if (m.asset !== asset) throw new BadInputError(`snapshots.${asset}: snapshot ${m.id.slice(0, 12)} belongs to asset "${m.asset}"`);
    } else {
      m = await repo.resolveSnapshot(asset, choice.before ? { before: new Date(choice.before) } : { latest: true });
    }
    out.push({ asset, id: m.id, time: m.time, files: m.stats.files, bytes: m.stats.bytes });
  }
  return out;
}
