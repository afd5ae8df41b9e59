import { writeTreeBlobs } from '../backup/write-tree';
import { IntegrityError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import { PackUploader } from '../backup/pack-uploader';
import { copyRanges } from './copy-ranges';
import { assertReferencesSafe, checkReferences, markedPacks } from '../maintenance/pack-safety';
import { packKey, snapshotKey } from '../repo/layout';
import { sha256hex } from '../repo/pack';
import type { Repository } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';
import type { TreeEntry } from '../repo/tree';

/** merged source reads in flight (each at most 16 MiB) */
const RANGES_IN_FLIGHT = 4;

export interface CopyProgress {
  snapshot: string;
  blobsDone: number;
  blobsTotal: number;
  bytesUploaded: number;
}

export interface CopyOptions {
  /** the clock the prune-safety check reads (tests drive it) */
  clock?: () => number;
  onProgress?: (p: CopyProgress) => void;
  /** blobs fetched from the source at once */
  concurrency?: number;
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

/** Blob ids of the two repositories agree when both are plain (SHA-256) or share the master key. */
const sameIds = (a: Repository, b: Repository): boolean => a.codec.encrypted === b.codec.encrypted && a.codec.idKeyHex === b.codec.idKeyHex;

/**
 * Copy one snapshot from `src` to `dst` under the same snapshot id, writing only blobs the
 * destination lacks. Order: data packs (each followed by its index object), then tree blobs,
 * then the manifest signed with the destination's key, then the backup's post-commit check
 * (pack-safety.ts) at the destination, which withdraws the manifest if a prune there got in the
 * way. So an interrupted copy leaves at most unreferenced packs (prune's to collect), never a
 * snapshot that does not restore; a retry finds the packs already written in the index.
 *
 * With the same blob codec, stored bytes move as they are (compression kept) after a check
 * against their id; otherwise each blob is opened, re-identified, and sealed (and compressed) the
 * destination's way, and the tree is rewritten with the new ids.
 */
export async function copySnapshot(src: Repository, dst: Repository, id: string, o: CopyOptions = {}): Promise<CopyReport> {
  const clock = o.clock ?? Date.now;
  const m = await src.loadSnapshot(id);
  if (await dst.store.head(snapshotKey(id))) {
    const there = await dst.loadSnapshot(id);
    return { snapshot: id, asset: there.asset, copied: false, blobs: 0, blobsCopied: 0, bytesUploaded: 0, packsWritten: 0 };
  }
  const entries = await src.loadTree(m);
  const chunks = [...new Set(entries.flatMap((e) => (e.type === 'file' ? e.chunks : [])))];
  await src.loadIndex(true);
  const dstIndex = await dst.loadIndex(true);
  const packsBefore = new Set(dstIndex.packs);
  const up = new PackUploader(dst.store, dstIndex, dst.packSize, 2, await markedPacks(dst, clock()));
  try {
    return await copyInto({ src, dst, m, entries, chunks, up, clock, report: o.onProgress, group: Math.max(1, o.concurrency ?? 16), packsBefore });
  } catch (e) {
    // let uploads already started land (and their index objects with them): a retry then skips them
    await up.drain().catch(() => undefined);
    throw e;
  }
}

interface CopyRun {
  src: Repository;
  dst: Repository;
  m: SnapshotManifest;
  entries: TreeEntry[];
  chunks: string[];
  up: PackUploader;
  clock: () => number;
  report?: (p: CopyProgress) => void;
  group: number;
  packsBefore: Set<string>;
}

async function copyInto({ src, dst, m, entries, chunks, up, clock, group, packsBefore, ...o }: CopyRun): Promise<CopyReport> {
  const id = m.id;
  const srcIndex = await src.loadIndex();
  const dstIndex = await dst.loadIndex();
  const same = sameIds(src, dst);
  const rename = new Map<string, string>();
  let done = 0;
  let copied = 0;
  const report = () => o.report?.({ snapshot: id, blobsDone: done, blobsTotal: chunks.length, bytesUploaded: up.bytesUploaded });

  const locate = (c: string) => {
    const loc = srcIndex.get(c);
    if (!loc) throw new IntegrityError(`snapshot ${id}: chunk ${c.slice(0, 12)} is not in the source index`);
    return loc;
  };
  const add = async (b: { id: string; stored: Buffer; rawLength?: number } | undefined) => {
    if (!b) return;
    copied++;
    if (up.add(b.id, 'data', b.stored, b.rawLength)) await up.flush(report);
  };
  if (same) {
    // stored bytes move as they are: merged ranged reads of the source packs, each blob checked against its id
    const todo = chunks.filter((c) => !up.known(c));
    done = chunks.length - todo.length;
    const ranges = copyRanges(todo.map((c) => ({ id: c, loc: locate(c) })));
    for (let at = 0; at < ranges.length; at += RANGES_IN_FLIGHT) {
      const fetched = await mapLimit(ranges.slice(at, at + RANGES_IN_FLIGHT), RANGES_IN_FLIGHT, async (r) => {
        const data = await src.store.get(packKey(r.pack), { start: r.start, length: r.length });
        return r.blobs.map((b) => {
          const stored = data.subarray(b.loc.offset - r.start, b.loc.offset - r.start + b.loc.length);
          src.checkBlob(b.id, stored, `snapshot ${id}: chunk ${b.id.slice(0, 12)} in source pack ${r.pack.slice(0, 12)}`, b.loc.rawLength);
          return { id: b.id, stored: Buffer.from(stored), rawLength: b.loc.rawLength };
        });
      });
      // added in order: the pack builder is not re-entrant
      for (const list of fetched) {
        for (const b of list) await add(b);
        done += list.length;
      }
      report();
    }
  }
  // another codec: groups opened, re-identified and sealed concurrently, added in order
  for (let at = 0; !same && at < chunks.length; at += group) {
    const part = chunks.slice(at, at + group);
    const fetched = await mapLimit(part, group, async (c) => {
      const plain = await src.readBlob(c, locate(c), `snapshot ${id}`);
      const to = dst.codec.id(plain);
      rename.set(c, to);
      if (up.known(to)) return undefined;
      const sealed = await dst.sealBlob(plain);
      return { id: to, stored: sealed.stored, rawLength: sealed.rawLength };
    });
    for (const b of fetched) await add(b);
    done += part.length;
    report();
  }

  const dstEntries: TreeEntry[] = same ? entries : entries.map((e) => (e.type === 'file' ? { ...e, chunks: e.chunks.map((c) => rename.get(c) ?? c) } : e));
  const treeIds = await writeTreeBlobs(dst, up, dstEntries);

  await verifyNewPacks(
    dst,
    [...dstIndex.packs].filter((p) => !packsBefore.has(p)),
  );
  const manifest: SnapshotManifest = { ...m, tree: treeIds };
  await dst.writeSnapshot(manifest);
  const blobs = new Set(treeIds);
  for (const e of dstEntries) if (e.type === 'file') e.chunks.forEach((c) => blobs.add(c));
  const check = await checkReferences(dst, blobs, clock);
  if (check.unsafe.length) {
    await dst.store.delete(snapshotKey(id));
    assertReferencesSafe(`copy of snapshot ${id}: withdrawn at the destination, run the copy again`, check);
  }
  report();
  return {
    snapshot: id,
    asset: m.asset,
    copied: true,
    blobs: chunks.length,
    blobsCopied: copied,
    bytesUploaded: up.bytesUploaded,
    packsWritten: up.packsWritten,
  };
}

/** Read back every pack this copy wrote: its name is the SHA-256 of its bytes. */
async function verifyNewPacks(dst: Repository, packs: string[]): Promise<void> {
  await mapLimit(packs, 4, async (p) => {
    const body = await dst.store.get(packKey(p));
    if (sha256hex(body) !== p) throw new IntegrityError(`copy: pack ${p.slice(0, 12)} at the destination does not read back as written`);
  });
}
