import { IntegrityError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import { PackUploader } from '../backup/pack-uploader';
import { assertReferencesSafe, canWithdraw, checkStoredSnapshot, markedPacks, type ReferenceCheck } from '../maintenance/pack-safety';
import { packKey, snapshotKey } from '../repo/layout';
import { sha256hex } from '../repo/pack';
import type { Repository } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';
import { TreeCopier, WINDOW_CHUNKS, type CopyProgress } from './tree-copier';

export type { CopyProgress } from './tree-copier';

export interface CopyOptions {
  /** the clock the prune-safety check reads (tests drive it) */
  clock?: () => number;
  onProgress?: (p: CopyProgress) => void;
  /** blobs fetched from the source at once */
  concurrency?: number;
  /** chunk references of the source tree gathered before their blobs move (tests make it small) */
  windowChunks?: number;
}

export interface CopyReport {
  snapshot: string;
  asset: string;
  /** false: the destination held the snapshot already, nothing was written */
  copied: boolean;
  /** distinct data blobs the snapshot names, and how many of them the destination lacked */
  blobs: number;
  blobsCopied: number;
  /** pack and index bytes written at the destination */
  bytesUploaded: number;
  packsWritten: number;
}

/**
 * Copy one snapshot from `src` to `dst` under the same snapshot id, writing only blobs the
 * destination lacks, streaming the source tree (tree-copier.ts). Order: data packs (each
 * followed by its index object) and tree blobs, then the manifest signed with the destination's
 * key, then the backup's post-commit check (pack-safety.ts) at the destination, reading the
 * stored tree back, which withdraws the manifest if a prune there got in the way or the check
 * cannot finish. So an interrupted copy leaves at most unreferenced packs (prune's to collect),
 * never a snapshot that does not restore; a retry finds the packs already written in the index,
 * and a snapshot already at the destination is checked there first (a copy may have stopped
 * between its manifest and its check), copied again if it is not safe.
 */
export async function copySnapshot(src: Repository, dst: Repository, id: string, o: CopyOptions = {}): Promise<CopyReport> {
  const clock = o.clock ?? Date.now;
  const m = await src.loadSnapshot(id);
  if (await dst.store.head(snapshotKey(id))) {
    const there = await dst.loadSnapshot(id);
    // a copy stopped between its manifest and its check (a crash) left it unchecked: check it now
    const check = await checkStoredSnapshot(dst, there, clock);
    if (!check.unsafe.length) return { snapshot: id, asset: there.asset, copied: false, blobs: 0, blobsCopied: 0, bytesUploaded: 0, packsWritten: 0 };
    if (!canWithdraw(dst))
      assertReferencesSafe(`copy of snapshot ${id}: at the destination but incomplete, and it cannot be withdrawn (append-only or locked)`, check);
    await dst.store.delete(snapshotKey(id));
  }
  const [srcIndex, dstIndex, marked] = await Promise.all([src.loadIndex(true), dst.loadIndex(true), markedPacks(dst, clock())]);
  const packsBefore = new Set(dstIndex.packs);
  const up = new PackUploader(dst.store, dstIndex, dst.packSize, { avoid: marked });
  const copier = new TreeCopier(src, srcIndex, dst, up, m, {
    group: Math.max(1, o.concurrency ?? 16),
    windowChunks: Math.max(1, o.windowChunks ?? WINDOW_CHUNKS),
    onProgress: o.onProgress,
  });
  let tree: string[];
  try {
    tree = await copier.copy();
  } catch (e) {
    // let uploads already started land (and their index objects with them): a retry then skips them
    await up.drain().catch(() => undefined);
    throw e;
  }
  await verifyNewPacks(
    dst,
    [...dstIndex.packs].filter((p) => !packsBefore.has(p)),
  );
  await commitCopy(dst, { ...m, tree }, clock);
  return {
    snapshot: id,
    asset: m.asset,
    copied: true,
    blobs: copier.blobs,
    blobsCopied: copier.blobsCopied,
    bytesUploaded: up.bytesUploaded,
    packsWritten: up.packsWritten,
  };
}

/**
 * Write the manifest at the destination, then check what it names there. A failed check, or one
 * that cannot finish, withdraws it: a retry would otherwise find the snapshot and skip the copy.
 * A destination that cannot withdraw (append-only, locked) is checked before the write as well.
 */
async function commitCopy(dst: Repository, manifest: SnapshotManifest, clock: () => number): Promise<void> {
  const what = `copy of snapshot ${manifest.id}`;
  if (!canWithdraw(dst)) assertReferencesSafe(`${what}: not written at the destination, run the copy again`, await checkStoredSnapshot(dst, manifest, clock));
  await dst.writeSnapshot(manifest);
  let check: ReferenceCheck;
  try {
    check = await checkStoredSnapshot(dst, manifest, clock);
  } catch (e) {
    if (canWithdraw(dst)) await dst.store.delete(snapshotKey(manifest.id));
    throw e;
  }
  if (!check.unsafe.length) return;
  if (!canWithdraw(dst)) assertReferencesSafe(`${what}: written at the destination but cannot be withdrawn (append-only or locked); it is incomplete`, check);
  await dst.store.delete(snapshotKey(manifest.id));
  assertReferencesSafe(`${what}: withdrawn at the destination, run the copy again`, check);
}

/** Read back every pack this copy wrote: its name is the SHA-256 of its bytes. */
async function verifyNewPacks(dst: Repository, packs: string[]): Promise<void> {
  await mapLimit(packs, 4, async (p) => {
    const body = await dst.store.get(packKey(p));
    if (sha256hex(body) !== p) throw new IntegrityError(`copy: pack ${p.slice(0, 12)} at the destination does not read back as written`);
  });
}
