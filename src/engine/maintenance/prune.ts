import { z } from 'zod';
import { encodeIndexFile } from '../repo/chunk-index';
import { DATA_PREFIX, INDEX_PREFIX, indexKey, packKey } from '../repo/layout';
import { sha256hex, type PackEntry } from '../repo/pack';
import type { Repository } from '../repo/repository';
import { referencedBlobs } from './references';

const MARK_PREFIX = 'prune/marks/';
const MarkSchema = z.object({ v: z.literal(1), markedAt: z.string() });

export interface PruneOptions {
  /** a pack must stay unreferenced this long after being marked before it is deleted */
  graceMs: number;
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
}

/**
 * Lock-free two-phase prune: phase 1 marks packs nothing references; a later run deletes packs
 * marked longer than the grace period ago that are still unreferenced, then rewrites the index
 * without them. A backup running meanwhile either references the pack (which unmarks it) or
 * finishes within the grace period.
 */
export async function prune(repo: Repository, o: PruneOptions): Promise<PruneReport> {
  const now = o.now ?? new Date();
  const snapshots = await repo.listSnapshots();
  const refs = await referencedBlobs(repo, snapshots);
  const indexObjects = await repo.store.list(INDEX_PREFIX);
  const index = await repo.loadIndex(true);
  const packBlobs = new Map<string, PackEntry[]>();
  for (const [id, loc] of index.entries()) {
    const l = packBlobs.get(loc.pack) ?? [];
    l.push({ id, type: loc.type, offset: loc.offset, length: loc.length });
    packBlobs.set(loc.pack, l);
  }
  const stored = new Map((await repo.store.list(DATA_PREFIX)).map((x) => [x.key.split('/').pop() as string, x.size]));
  const marks = new Map<string, Date>();
  for (const m of await repo.store.list(MARK_PREFIX)) {
    const r = MarkSchema.safeParse(JSON.parse((await repo.store.get(m.key)).toString('utf8')));
    if (r.success) marks.set(m.key.slice(MARK_PREFIX.length), new Date(r.data.markedAt));
  }
  const report: PruneReport = { snapshots: snapshots.length, packs: stored.size, referencedBlobs: refs.size, marked: [], unmarked: [], deleted: [], bytesFreed: 0, partlyUsed: 0 };
  const unused = new Set<string>();
  for (const pack of stored.keys()) {
    const blobs = packBlobs.get(pack) ?? [];
    const used = blobs.filter((b) => refs.has(b.id)).length;
    if (used === 0) unused.add(pack);
    else if (used < blobs.length) report.partlyUsed++;
  }
  let done = 0;
  for (const [pack, markedAt] of marks) {
    o.onProgress?.({ phase: 'sweep', done: done++, total: marks.size });
    if (!unused.has(pack)) {
      report.unmarked.push(pack);
      if (!o.dryRun) await repo.store.delete(MARK_PREFIX + pack);
    } else if (now.getTime() - markedAt.getTime() >= o.graceMs) {
      report.deleted.push(pack);
      report.bytesFreed += stored.get(pack) ?? 0;
    }
  }
  for (const pack of unused) {
    if (!marks.has(pack)) {
      report.marked.push(pack);
      if (!o.dryRun) await repo.store.put(MARK_PREFIX + pack, Buffer.from(JSON.stringify({ v: 1, markedAt: now.toISOString() })));
    }
  }
  if (o.dryRun || report.deleted.length === 0) return report;

  // the index goes first: a pack must never be indexed but missing
  const gone = new Set(report.deleted);
  const keep = [...packBlobs.entries()].filter(([p]) => !gone.has(p)).map(([id, entries]) => ({ id, entries }));
  const body = encodeIndexFile(keep);
  const newIndex = indexKey(sha256hex(body));
  await repo.store.put(newIndex, body);
  for (const x of indexObjects) if (x.key !== newIndex) await repo.store.delete(x.key);
  for (const pack of report.deleted) {
    await repo.store.delete(packKey(pack));
    await repo.store.delete(MARK_PREFIX + pack);
  }
  await repo.loadIndex(true);
  return report;
}
