import { createHash } from 'node:crypto';
import { BadInputError, IntegrityError, NotFoundError } from '../common/errors';
import type { Repository } from '../engine/repo/repository';
import type { TreeEntry } from '../engine/repo/tree';
import { restoredFilesResolver, snapshotFileKey, type ExpectedBodyResolver } from '../failover/health';
import type { SnapshotFileRef } from '../failover/health-check-schema';
import type { RestoreTarget } from '../failover/site-schema';

/** Files up to this size are hashed from the repository; larger ones from the verified restored copy. */
const MAX_HASH_FROM_REPO = 256 * 1024 * 1024;

/**
 * The hex SHA-256 a `bodyEqualsSha256Of` check expects, taken from the chosen snapshot itself:
 * the file's chunks are read from the repository (each checked against its id) and hashed in
 * order. Independent of what is on disk, so "the standby serves the snapshot's model" is proved
 * against the backup, not against the restore. Files above 256 MiB fall back to hashing the
 * restored copy, which the restore verified chunk by chunk.
 */
export function snapshotFileResolver(
  repo: Repository,
  snapshots: readonly { asset: string; id: string }[],
  restored: readonly RestoreTarget[],
): ExpectedBodyResolver {
  const memo = new Map<string, Promise<string>>();
  const fromDisk = restoredFilesResolver(restored);
  const hash = async (ref: SnapshotFileRef): Promise<string> => {
    const snap = snapshots.find((s) => s.asset === ref.asset);
    if (!snap) throw new BadInputError(`no snapshot was chosen for asset "${ref.asset}" (chosen: ${snapshots.map((s) => s.asset).join(', ') || 'none'})`);
    const m = await repo.loadSnapshot(snap.id);
    let entry: TreeEntry | undefined;
    for await (const entries of repo.treeBlobs(m)) if ((entry = entries.find((e) => e.path === ref.path))) break;
    if (!entry || entry.type !== 'file') throw new NotFoundError(`${ref.path} is not a file in snapshot ${snap.id.slice(0, 12)} of ${ref.asset}`);
    if (entry.size > MAX_HASH_FROM_REPO) return fromDisk.sha256Of(ref);
    let index = await repo.loadIndex();
    const h = createHash('sha256');
    for (const id of entry.chunks) {
      let loc = index.get(id);
      if (!loc) {
        index = await repo.loadIndex(true);
        loc = index.get(id);
      }
      if (!loc) throw new IntegrityError(`snapshot ${snap.id.slice(0, 12)}: chunk ${id.slice(0, 12)} of ${ref.path} is not in the index`);
      h.update(await repo.readBlob(id, loc, `${ref.asset}/${ref.path}`));
    }
    return h.digest('hex');
  };
  return {
    sha256Of(ref) {
      const key = snapshotFileKey(ref);
      let p = memo.get(key);
      if (!p) {
        p = hash(ref);
        memo.set(key, p);
      }
      return p;
    },
  };
}
