import { BadInputError } from '../../common/errors';
import { PackUploader } from '../backup/pack-uploader';
import { encodeIndexFile, entryAt, type ChunkIndex } from '../repo/chunk-index';
import { DATA_PREFIX, INDEX_PREFIX, indexKey, packIdOf, packKey } from '../repo/layout';
import { sha256hex, type PackEntry } from '../repo/pack';
import type { Repository } from '../repo/repository';
import { readMarks, removeMark, writeMark } from './marks';
import { MIN_GRACE_MS } from './pack-safety';
import { collectReferences } from './references';
import { isAppendOnly } from '../store/append-only';
import { objectLockOf } from '../store/object-lock';
import { extendLiveLocks, heldByLocks, removeSpentCanaries, type LockHold } from './prune-locks';
import { sweepFinishedWorkLists } from './work-lists';

export interface PruneOptions {
  /** a pack must stay unreferenced this long after being marked before it is deleted */
  graceMs: number;
  /** the smallest grace accepted (default MIN_GRACE_MS); a plan may lower it for tests */
  minGraceMs?: number;
  dryRun?: boolean;
  /** repack: copy the live blobs out of packs whose live fraction is below this (0-1; default 0 = never), then condemn the packs */
  repackBelow?: number;
  now?: Date;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

export interface PruneReport {
  snapshots: number;
  packs: number;
  referencedBlobs: number;
  marked: string[];
  unmarked: string[];
  deleted: string[];
  bytesFreed: number;
  /** packs that hold both needed and unneeded blobs and stay (above the repack threshold) */
  partlyUsed: number;
  /** packs whose live blobs this run copied into new packs (marked now, deleted after the grace); a dry run lists the candidates */
  repacked: string[];
  /** blobs and stored bytes copied by the repack */
  repackedBlobs: number;
  repackedBytes: number;
  /** snapshots whose manifest failed its signature: their packs are kept */
  invalidSnapshots: string[];
  /** why nothing was deleted although packs were due */
  blocked?: string;
  /** packs due for deletion that stay because their Object Lock (or that of an index object naming them) has not ended */
  locked: (LockHold & { pack: string })[];
  /** live objects whose lock this run lengthened (immutability) */
  locksExtended: number;
  /** work lists of finished or abandoned backups removed (append-only workers leave them) */
  workListsSwept: number;
}

/**
 * Lock-free two-phase prune: phase 1 marks packs nothing references; a later run deletes packs
 * whose mark has passed its `deleteAfter` and that are still unreferenced, after first
 * rewriting the index without them. With `repackBelow`, phase 1 first copies the live blobs of
 * sparse packs into new, indexed packs; the sparse packs then hold nothing that is not kept
 * elsewhere and go the same two-phase way (marked now, deleted after the grace). The order of reads is the protocol (README, design):
 * marks, then in-progress work lists, then snapshots. A backup relies on a pack only after
 * recording the reference and checking the pack is not about to be deleted (pack-safety.ts),
 * so a reference recorded in time is always in what the deleting run reads.
 */
export async function prune(repo: Repository, o: PruneOptions): Promise<PruneReport> {
  const minGrace = o.minGraceMs ?? MIN_GRACE_MS;
  if (!(o.graceMs >= minGrace)) {
    throw new BadInputError(
      `graceHours: must be at least ${minGrace / 3600_000} h (repository.pruneMinGraceHours): backups running meanwhile rely on the grace period`,
    );
  }
  if (isAppendOnly(repo.store) && !o.dryRun) {
    throw new BadInputError('repository.appendOnly: prune deletes, so it runs on a worker whose credential may delete (without repository.appendOnly)');
  }
  const now = (o.now ?? new Date()).getTime();
  const lock = objectLockOf(repo.store);
  const workListsSwept = o.dryRun ? 0 : await sweepFinishedWorkLists(repo);
  const marks = await readMarks(repo.store, now);
  const refs = await collectReferences(repo, (done, total) => o.onProgress?.({ phase: 'references', done, total }));
  const stored = new Map((await repo.store.list(DATA_PREFIX)).map((x) => [packIdOf(x.key), x.size]));
  const indexObjects = await repo.store.list(INDEX_PREFIX);
  const index = await repo.loadIndex(true);
  const report: PruneReport = {
    snapshots: refs.snapshots,
    packs: stored.size,
    referencedBlobs: refs.refs.size,
    marked: [],
    unmarked: [],
    deleted: [],
    bytesFreed: 0,
    partlyUsed: 0,
    repacked: [],
    repackedBlobs: 0,
    repackedBytes: 0,
    invalidSnapshots: refs.invalid,
    ...(refs.blocked ? { blocked: refs.blocked } : {}),
    locked: [],
    locksExtended: 0,
    workListsSwept,
  };
  const sparse = refs.blocked ? [] : sparsePacks(index, refs.refs, stored, marks, o.repackBelow ?? 0);
  report.repacked = sparse;
  if (!o.dryRun && sparse.length) {
    const copied = await copyLiveBlobs(repo, index, refs.refs, sparse, new Set([...marks.keys(), ...sparse]));
    report.repackedBlobs = copied.blobs;
    report.repackedBytes = copied.bytes;
    for (const [pack, size] of copied.packs) stored.set(pack, size);
  }
  // a pack is needed when it is the keeper of a referenced blob; the rest are unused
  const needed = keeperPacks(index, refs.refs, stored, new Set([...marks.keys(), ...(o.dryRun ? [] : sparse)]));
  const unused = new Set<string>();
  const liveBytes = liveBytesPerPack(index, refs.refs);
  const blobBytes = liveBytesPerPack(index);
  for (const pack of stored.keys()) {
    if (!needed.has(pack)) unused.add(pack);
    else if ((liveBytes.get(pack) ?? 0) < (blobBytes.get(pack) ?? 0)) report.partlyUsed++;
  }
  let done = 0;
  for (const [pack, mark] of marks) {
    o.onProgress?.({ phase: 'sweep', done: done++, total: marks.size });
    if (!unused.has(pack)) {
      report.unmarked.push(pack);
      if (!o.dryRun) await removeMark(repo.store, pack);
    } else if (now >= Math.max(mark.deleteAfter ?? 0, mark.markedAt + o.graceMs) && !refs.blocked) {
      report.deleted.push(pack);
      report.bytesFreed += stored.get(pack) ?? 0;
    }
  }
  for (const pack of unused) {
    if (!marks.has(pack)) {
      report.marked.push(pack);
      if (!o.dryRun) await writeMark(repo.store, pack, now, o.graceMs);
    }
  }
  // a locked object is never deleted early: such packs keep their marks and wait for a later run
  const held =
    lock && report.deleted.length
      ? await heldByLocks(
          lock,
          repo,
          report.deleted,
          indexObjects.map((x) => x.key),
          now,
        )
      : undefined;
  if (held?.packs.size) {
    report.locked = [...held.packs].map(([pack, h]) => ({ pack, ...h })).sort((a, b) => a.pack.localeCompare(b.pack));
    report.deleted = report.deleted.filter((p) => !held.packs.has(p));
    report.bytesFreed = report.deleted.reduce((n, p) => n + (stored.get(p) ?? 0), 0);
  }
  if (lock && !o.dryRun) {
    report.locksExtended = await extendLiveLocks(lock, needed, now);
    await removeSpentCanaries(lock, now);
  }
  if (o.dryRun || report.deleted.length === 0) return report;

  // the index goes first: a pack must never be indexed but missing
  // every location of every kept pack, duplicates too: a chunk whose primary pack goes may live on in another
  const gone = new Set(report.deleted);
  const kept = new Map<string, PackEntry[]>();
  for (const [id, loc] of index.allEntries()) {
    if (gone.has(loc.pack)) continue;
    const l = kept.get(loc.pack) ?? [];
    l.push(entryAt(id, loc));
    kept.set(loc.pack, l);
  }
  const keep = [...kept.entries()].map(([id, entries]) => ({ id, entries }));
  const body = encodeIndexFile(keep);
  const newIndex = indexKey(sha256hex(body));
  await repo.store.put(newIndex, body);
  for (const x of indexObjects) if (x.key !== newIndex && !held?.indexes.has(x.key)) await repo.store.delete(x.key);
  for (const pack of report.deleted) {
    await repo.store.delete(packKey(pack));
    await removeMark(repo.store, pack);
  }
  await repo.loadIndex(true);
  return report;
}

/** Stored bytes of the (referenced) blobs in each pack; every copy counts: a copy elsewhere does not make this one dead. */
function liveBytesPerPack(index: ChunkIndex, refs?: ReadonlySet<string>): Map<string, number> {
  const live = new Map<string, number>();
  for (const [id, loc] of index.allEntries()) if (!refs || refs.has(id)) live.set(loc.pack, (live.get(loc.pack) ?? 0) + loc.length);
  return live;
}

/** Unmarked packs that hold live blobs, but less than `below` of their bytes; oldest name first. */
function sparsePacks(
  index: ChunkIndex,
  refs: ReadonlySet<string>,
  stored: ReadonlyMap<string, number>,
  marks: ReadonlyMap<string, unknown>,
  below: number,
): string[] {
  if (!(below > 0)) return [];
  const live = liveBytesPerPack(index, refs);
  return [...stored]
    .filter(([pack, size]) => !marks.has(pack) && (live.get(pack) ?? 0) > 0 && (live.get(pack) ?? 0) < below * size)
    .map(([pack]) => pack)
    .sort();
}

/**
 * The pack each referenced blob is kept in: a stored copy in a pack that is neither marked nor
 * being repacked if there is one, else its stored copy with the lowest pack name. Every run
 * chooses the same way, so a pack is deleted only while each blob it holds has a keeper elsewhere.
 */
function keeperPacks(index: ChunkIndex, refs: ReadonlySet<string>, stored: ReadonlyMap<string, number>, condemned: ReadonlySet<string>): Set<string> {
  const needed = new Set<string>();
  for (const id of refs) {
    const packs = index
      .locations(id)
      .map((l) => l.pack)
      .filter((p) => stored.has(p))
      .sort();
    const keeper = packs.find((p) => !condemned.has(p)) ?? packs[0];
    if (keeper) needed.add(keeper);
  }
  return needed;
}

/**
 * Copy the referenced blobs of `packs` that have no copy in a pack outside `avoid` into new
 * packs, each followed by its index object (the uploader backups use), and return the new packs.
 * Every blob is checked against its id first: a repack never copies corrupt data.
 */
async function copyLiveBlobs(
  repo: Repository,
  index: ChunkIndex,
  refs: ReadonlySet<string>,
  packs: string[],
  avoid: ReadonlySet<string>,
): Promise<{ blobs: number; bytes: number; packs: Map<string, number> }> {
  const before = new Set(index.packs);
  const byPack = new Map<string, PackEntry[]>(packs.map((p) => [p, []]));
  for (const [id, loc] of index.allEntries()) if (refs.has(id)) byPack.get(loc.pack)?.push(entryAt(id, loc));
  const up = new PackUploader(repo.store, index, repo.packSize, { avoid });
  let blobs = 0;
  let bytes = 0;
  for (const [pack, entries] of byPack) {
    const body = await repo.store.get(packKey(pack));
    for (const e of entries) {
      const data = Buffer.from(body.subarray(e.offset, e.offset + e.length));
      repo.checkBlob(e.id, data, `repack: blob ${e.id.slice(0, 12)} in pack ${pack.slice(0, 12)}`, e.rawLength);
      if (up.known(e.id)) continue;
      blobs++;
      bytes += data.length;
      // copied as stored (sealed, compressed or not): the new entry keeps its raw length
      if (up.add(e.id, e.type, data, e.rawLength)) await up.flush();
    }
  }
  await up.flush();
  await up.drain();
  const created = new Map<string, number>();
  for (const p of index.packs) if (!before.has(p)) created.set(p, (await repo.store.head(packKey(p)))?.size ?? 0);
  return { blobs, bytes, packs: created };
}
