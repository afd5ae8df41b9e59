import { writeIndexFile } from '../../src/engine/repo/chunk-index';
import { packKey, snapshotKey } from '../../src/engine/repo/layout';
import { PackBuilder, sha256hex } from '../../src/engine/repo/pack';
import type { Repository } from '../../src/engine/repo/repository';
import { encodeManifest, type SnapshotManifest, type SnapshotStats } from '../../src/engine/repo/snapshot';
import { encodeTreeBlobs, type TreeEntry } from '../../src/engine/repo/tree';

/** A snapshot's stats: zero but for what the test sets. */
export const snapshotStats = (set: Partial<SnapshotStats> = {}): SnapshotStats => ({
  files: 0,
  dirs: 0,
  symlinks: 0,
  bytes: 0,
  filesRead: 0,
  bytesRead: 0,
  filesUnchanged: 0,
  chunksNew: 0,
  bytesNew: 0,
  bytesUploaded: 0,
  packsWritten: 0,
  skipped: 0,
  ...set,
});

/**
 * A correctly signed snapshot (of a plain repository) whose tree holds whatever entries an
 * attacker with the key (or a bug, or an older version) wrote, in the order given: one pack
 * holds `data` as the chunk of every file that names none, and the tree blobs.
 */
export async function craftSnapshot(repo: Repository, key: Buffer, entries: TreeEntry[], o: { id?: string; data?: Buffer } = {}): Promise<string> {
  const data = o.data ?? Buffer.from('crafted');
  const pb = new PackBuilder();
  const chunkId = sha256hex(data);
  pb.add(chunkId, 'data', data);
  const trees = encodeTreeBlobs(entries.map((e) => (e.type === 'file' && !e.chunks.length ? { ...e, chunks: [chunkId], size: data.length } : e)));
  for (const t of trees) pb.add(sha256hex(t), 'tree', t);
  const { id, body, entries: blobs } = pb.finish();
  await repo.store.put(packKey(id), body);
  await writeIndexFile(repo.store, [{ id, entries: blobs }]);
  const m: SnapshotManifest = {
    v: 1,
    id: o.id ?? 'e'.repeat(32),
    time: new Date().toISOString(),
    host: 'evil',
    asset: 'evil',
    source: '/',
    tags: [],
    strategy: 'full',
    tree: trees.map((t) => sha256hex(t)),
    stats: snapshotStats({ files: 1, bytes: data.length }),
  };
  await repo.store.put(snapshotKey(m.id), encodeManifest(m, key));
  await repo.loadIndex(true);
  return m.id;
}
