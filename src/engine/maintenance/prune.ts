import { BadInputError } from '../../common/errors';
import { encodeIndexFile, entryAt } from '../repo/chunk-index';
import { DATA_PREFIX, INDEX_PREFIX, indexKey, packIdOf, packKey } from '../repo/layout';
import { sha256hex, type PackEntry } from '../repo/pack';
import type { Repository } from '../repo/repository';
import { readMarks, removeMark, writeMark } from './marks';
import { MIN_GRACE_MS } from './pack-safety';
import { collectReferences } from './references';

export interface PruneOptions {
  /** a pack must stay unreferenced this long after being marked before it is deleted */
  graceMs: number;
  /** the smallest grace accepted (default MIN_GRACE_MS); a plan may lower it for tests */
  minGraceMs?: number;
  dryRun?: boolean;
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
  /** packs that hold both needed and unneeded blobs: kept whole (no repacking yet) */
  partlyUsed: number;
  /** snapshots whose manifest failed its signature: their packs are kept */
  invalidSnapshots: string[];
  /** why nothing was deleted although packs were due */
  blocked?: string;
}

/**
 * Lock-free two-phase prune: phase 1 marks packs nothing references; a later run deletes packs
 * whose mark has passed its `deleteAfter` and that are still unreferenced, after first
 * rewriting the index without them. The order of reads is the protocol (README, design):
 * marks, then in-progress work lists, then snapshots. A backup relies on a pack only after
 * recording the reference and checking the pack is not about to be deleted (pack-safety.ts),
 * so a reference recorded in time is always in what the deleting run reads.
 */
export async function prune(repo: Repository, o: PruneOptions): Promise<PruneReport> {
  const minGrace = o.minGraceMs ?? MIN_GRACE_MS;
  if (!(o.graceMs >= minGrace)) {
    throw new BadInputError(`graceHours: must be at least ${minGrace / 3600_000} h (repository.pruneMinGraceHours): backups running meanwhile rely on the grace period`);
  }
  const now = (o.now ?? new Date()).getTime();
  const marks = await readMarks(repo.store, now);
  const refs = await collectReferences(repo, (done, total) => o.onProgress?.({ phase: 'references', done, total }));
  const stored = new Map((await repo.store.list(DATA_PREFIX)).map((x) => [packIdOf(x.key), x.size]));
  const indexObjects = await repo.store.list(INDEX_PREFIX);
  const index = await repo.loadIndex(true);
  const packBlobs = new Map<string, PackEntry[]>();
  for (const [id, loc] of index.entries()) {
    const l = packBlobs.get(loc.pack) ?? [];
    l.push(entryAt(id, loc));
    packBlobs.set(loc.pack, l);
  }
  const report: PruneReport = {
    snapshots: refs.snapshots,
    packs: stored.size,
    referencedBlobs: refs.refs.size,
    marked: [],
    unmarked: [],
    deleted: [],
    bytesFreed: 0,
    partlyUsed: 0,
    invalidSnapshots: refs.invalid,
    ...(refs.blocked ? { blocked: refs.blocked } : {}),
  };
  const unused = new Set<string>();
  for (const pack of stored.keys()) {
    const blobs = packBlobs.get(pack) ?? [];
    const used = blobs.filter((b) => refs.refs.has(b.id)).length;
    if (used === 0) unused.add(pack);
    else if (used < blobs.length) report.partlyUsed++;
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
  for (const x of indexObjects) if (x.key !== newIndex) await repo.store.delete(x.key);
  for (const pack of report.deleted) {
    await repo.store.delete(packKey(pack));
    await removeMark(repo.store, pack);
  }
  await repo.loadIndex(true);
  return report;
}
