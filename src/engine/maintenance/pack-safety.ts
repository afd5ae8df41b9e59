import { errorMessage, IntegrityError } from '../../common/errors';
import { DATA_PREFIX, packIdOf } from '../repo/layout';
import type { ChunkIndex } from '../repo/chunk-index';
import type { Repository } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';
import { isAppendOnly } from '../store/append-only';
import { objectLockOf } from '../store/object-lock';
import type { PackMark } from './marks';
import { readMarks } from './marks';

/**
 * The backup side of the lock-free prune protocol (the README's design section states it whole).
 * A backup may rely on a pack only if, after it has RECORDED the reference (a work-list object
 * or the snapshot itself), the pack exists and carries no mark close to its deletion time. A
 * prune that deletes lists marks, then work lists, then snapshots, all after `deleteAfter`; so
 * a reference recorded before that check is in what such a prune reads.
 */
export const MIN_GRACE_MS = 60 * 60_000;
/** how far worker and prune clocks may disagree; never more than half the grace */
export const CLOCK_SKEW_MARGIN_MS = 10 * 60_000;

/** Packs a backup starting now should not deduplicate against: anything marked. */
export async function markedPacks(repo: Repository, now: number): Promise<Set<string>> {
  return new Set((await readMarks(repo.store, now)).keys());
}

/** True when a prune may delete the pack soon enough that a reference recorded now might be missed. */
export function markIsStale(mark: PackMark | undefined, now: number): boolean {
  if (!mark) return false;
  const deleteAfter = mark.deleteAfter ?? mark.markedAt + MIN_GRACE_MS;
  const margin = Math.min(CLOCK_SKEW_MARGIN_MS, Math.max(0, deleteAfter - mark.markedAt) / 2);
  return now > deleteAfter - margin;
}

export interface ReferenceCheck {
  /** blob ids with no location in a pack that exists and is safe from prune */
  unsafe: string[];
  reason?: string;
}

/**
 * Checks blob references one at a time against one reading of the packs, the index and the
 * marks, taken when it opens: open it only after every blob it will be given is RECORDED (a
 * work-list object or the snapshot). `now` is read after those reads, as the protocol needs; a
 * reference judged safe then stays safe, so the ids may come long after (a tree being written).
 */
export class ReferenceChecker {
  private readonly unsafeSet = new Set<string>();
  private missing = 0;
  private gone = 0;
  private condemned = 0;

  private constructor(
    private readonly stored: ReadonlySet<string>,
    /** the index refreshed by this reading: a pack uploader of the same step starts from it */
    readonly index: ChunkIndex,
    private readonly marks: ReadonlyMap<string, PackMark>,
    private readonly now: number,
  ) {}

  static async open(repo: Repository, clock: () => number = Date.now): Promise<ReferenceChecker> {
    // marks before packs: a deleting prune removes a pack, then its mark, so a mark read first is
    // either still there (judged by its deletion time) or its pack is already missing from the
    // listing; read the other way round, a pack listed and then deleted with its mark looked safe.
    // The index only says where a blob is (a pack's content never changes), so it is read beside
    // them: a location it lacks or names a pack gone is judged unsafe, never safe.
    const [[marks, stored], index] = await Promise.all([
      (async () => {
        const marks = await readMarks(repo.store, clock());
        return [marks, new Set((await repo.store.list(DATA_PREFIX)).map((o) => packIdOf(o.key)))] as const;
      })(),
      repo.loadIndex(true),
    ]);
    return new ReferenceChecker(stored, index, marks, clock());
  }

  /** The packs this reading found marked (markedPacks without listing the marks again). */
  markedPacks(): Set<string> {
    return new Set(this.marks.keys());
  }

  /** Check one blob id (ids may repeat). */
  add(id: string): void {
    if (this.unsafeSet.has(id)) return;
    // the primary location first, without building the list: it is safe for nearly every id
    const primary = this.index.get(id);
    if (primary && this.safe(primary.pack)) return;
    const locs = this.index.locations(id);
    if (locs.some((l) => this.safe(l.pack))) return;
    this.unsafeSet.add(id);
    if (locs.length === 0) this.missing++;
    else if (!locs.some((l) => this.stored.has(l.pack))) this.gone++;
    else this.condemned++;
  }

  private safe(pack: string): boolean {
    return this.stored.has(pack) && !markIsStale(this.marks.get(pack), this.now);
  }

  result(): ReferenceCheck {
    const unsafe = [...this.unsafeSet];
    if (!unsafe.length) return { unsafe };
    const parts = [
      this.missing && `${this.missing} not in the index`,
      this.gone && `${this.gone} in packs that no longer exist`,
      this.condemned && `${this.condemned} only in packs a prune is about to delete`,
    ].filter(Boolean);
    return { unsafe, reason: `${unsafe.length} blob(s) are not safely stored: ${parts.join(', ')}` };
  }
}

/** Check, after recording them, that every blob lives in at least one stored pack that no prune is about to delete. */
export async function checkReferences(
  repo: Repository,
  /** may repeat ids and may be read lazily (a snapshot's tree streamed blob by blob) */
  blobs: Iterable<string> | AsyncIterable<string>,
  clock: () => number = Date.now,
): Promise<ReferenceCheck> {
  const check = await ReferenceChecker.open(repo, clock);
  for await (const id of blobs) check.add(id);
  return check.result();
}

export function assertReferencesSafe(what: string, check: ReferenceCheck): void {
  if (check.unsafe.length) throw new IntegrityError(`${what}: ${check.reason}`);
}

/** A snapshot can be withdrawn unless deletes are refused (append-only) or it is locked (immutability). */
export const canWithdraw = (repo: Repository): boolean => !isAppendOnly(repo.store) && !objectLockOf(repo.store);

/**
 * Check every blob a written snapshot names, read back from its stored tree one blob at a time
 * (when the blobs are not at hand: a retried commit, a copy). A tree that cannot be read back is
 * unsafe as a whole.
 */
export async function checkStoredSnapshot(repo: Repository, m: SnapshotManifest, clock?: () => number): Promise<ReferenceCheck> {
  let unreadable: string | undefined;
  async function* blobs(): AsyncGenerator<string> {
    yield* m.tree;
    try {
      for await (const entries of repo.treeBlobs(m)) for (const e of entries) if (e.type === 'file') yield* e.chunks;
    } catch (e) {
      unreadable = errorMessage(e);
    }
  }
  const check = await checkReferences(repo, blobs(), clock);
  if (unreadable === undefined) return check;
  return {
    unsafe: check.unsafe.length ? check.unsafe : [...m.tree],
    reason: `its tree cannot be read back (${unreadable})${check.reason ? `; ${check.reason}` : ''}`,
  };
}
