import { plainLength, type BlobLocation } from '../repo/chunk-index';
import { DATA_PREFIX } from '../repo/layout';
import type { Repository } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';

/**
 * What a repository holds and costs. Nouns:
 * - logical bytes: the sum of file sizes as the snapshots record them (what a restore writes);
 * - raw bytes: unique blob contents before compression and sealing (the index's raw length, else stored minus the codec's overhead);
 * - stored bytes: those blobs as they lie in packs (what the bucket bills for, headers aside);
 * - dedup ratio = logical bytes over all snapshots / raw bytes of the unique data blobs;
 * - compression ratio = raw / stored of the unique data blobs (1.0 for plain blobs stored as is;
 *   an encrypted repository's sealing overhead shows as slightly below 1).
 * A blob counts as referenced when a snapshot's tree names it (the blob itself or a file chunk).
 */

export interface Pricing {
  /** price of one GiB-month of storage */
  storagePerGbMonth: number;
  /** price per GiB-month for keys under a prefix (relative to the repository: "data/", "index/"); the longest match wins */
  classes?: Record<string, number>;
}

export interface BlobTotals {
  count: number;
  rawBytes: number;
  storedBytes: number;
}

export interface SnapshotGrowth {
  id: string;
  asset: string;
  time: string;
  logicalBytes: number;
  /** stored bytes of the blobs no earlier snapshot referenced: what this snapshot added */
  newBytes: number;
  /** the data-blob part of newBytes */
  newDataBytes: number;
}

export interface AssetStats {
  asset: string;
  snapshots: number;
  latest?: { id: string; time: string; logicalBytes: number; files: number };
  logicalBytesAll: number;
  /** unique blobs the asset's snapshots reference (a blob shared with another asset counts in both) */
  data: BlobTotals;
  tree: BlobTotals;
  dedupRatio: number;
  compressionRatio: number;
  /** stored bytes of its blobs at the price of the data prefix */
  monthlyCost?: number;
}

export interface PrefixStats {
  objects: number;
  bytes: number;
  monthlyCost?: number;
}

export interface RepositoryStats {
  snapshots: number;
  logicalBytesLatest: number;
  logicalBytesAll: number;
  data: BlobTotals;
  tree: BlobTotals;
  /** stored bytes of referenced blobs / bytes of every pack object */
  referencedPackBytes: number;
  totalPackBytes: number;
  dedupRatio: number;
  compressionRatio: number;
  /** every object of the repository by its first key segment ("data/", "index/", "config") */
  objects: Record<string, PrefixStats>;
  totalBytes: number;
  monthlyCost?: number;
  assets: AssetStats[];
  /** oldest first */
  growth: SnapshotGrowth[];
}

const GIB = 1024 ** 3;

const prefixOf = (key: string): string => (key.includes('/') ? key.slice(0, key.indexOf('/') + 1) : key);

export function priceOf(pricing: Pricing, key: string): number {
  let best: string | undefined;
  for (const p of Object.keys(pricing.classes ?? {})) if (key.startsWith(p) && (best === undefined || p.length > best.length)) best = p;
  return best === undefined ? pricing.storagePerGbMonth : pricing.classes![best];
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 1);

class BlobSet {
  private readonly seen = new Set<string>();
  /** the codec's per-blob overhead (sealing), to tell raw bytes of blobs stored uncompressed */
  constructor(private readonly sealOverhead: number) {}
  readonly data: BlobTotals = { count: 0, rawBytes: 0, storedBytes: 0 };
  readonly tree: BlobTotals = { count: 0, rawBytes: 0, storedBytes: 0 };
  /** Adds the blob; returns its stored length when it is new to the set, else 0. */
  add(id: string, loc: BlobLocation): number {
    if (this.seen.has(id)) return 0;
    this.seen.add(id);
    const t = loc.type === 'tree' ? this.tree : this.data;
    t.count++;
    t.rawBytes += plainLength(loc, this.sealOverhead);
    t.storedBytes += loc.length;
    return loc.length;
  }
}

/**
 * Read every snapshot's tree once, oldest first, and the bucket's listing. Blobs a snapshot
 * names that the index lacks (a broken repository: verify reports them) are left out.
 */
export async function repositoryStats(
  repo: Repository,
  o: { pricing?: Pricing; onProgress?: (done: number, total: number) => void } = {},
): Promise<RepositoryStats> {
  const snapshots: SnapshotManifest[] = await repo.listSnapshots();
  const index = await repo.loadIndex(true);
  const overhead = repo.codec.storedLength(0);
  const all = new BlobSet(overhead);
  const perAsset = new Map<string, { blobs: BlobSet; stats: AssetStats }>();
  const growth: SnapshotGrowth[] = [];
  let logicalAll = 0;
  let done = 0;
  for (const m of snapshots) {
    o.onProgress?.(done++, snapshots.length);
    let logical = 0;
    let files = 0;
    const a = perAsset.get(m.asset) ?? { blobs: new BlobSet(overhead), stats: emptyAsset(m.asset) };
    perAsset.set(m.asset, a);
    const row: SnapshotGrowth = { id: m.id, asset: m.asset, time: m.time, logicalBytes: 0, newBytes: 0, newDataBytes: 0 };
    const add = (id: string) => {
      const loc = index.get(id);
      if (!loc) return;
      const added = all.add(id, loc);
      row.newBytes += added;
      if (loc.type === 'data') row.newDataBytes += added;
      a.blobs.add(id, loc);
    };
    m.tree.forEach(add);
    for await (const entries of repo.treeBlobs(m))
      for (const e of entries) {
        if (e.type !== 'file') continue;
        files++;
        logical += e.size;
        e.chunks.forEach(add);
      }
    row.logicalBytes = logical;
    growth.push(row);
    logicalAll += logical;
    a.stats.snapshots++;
    a.stats.logicalBytesAll += logical;
    a.stats.latest = { id: m.id, time: m.time, logicalBytes: logical, files };
  }

  const objects: Record<string, PrefixStats> = {};
  let totalBytes = 0;
  let totalPackBytes = 0;
  for (const obj of await repo.store.list('')) {
    const p = (objects[prefixOf(obj.key)] ??= { objects: 0, bytes: 0, ...(o.pricing ? { monthlyCost: 0 } : {}) });
    p.objects++;
    p.bytes += obj.size;
    if (o.pricing) p.monthlyCost! += (obj.size / GIB) * priceOf(o.pricing, obj.key);
    totalBytes += obj.size;
    if (obj.key.startsWith(DATA_PREFIX)) totalPackBytes += obj.size;
  }
  const dataPrice = o.pricing && priceOf(o.pricing, DATA_PREFIX);
  const assets = [...perAsset.values()]
    .map(({ blobs, stats }) => ({
      ...stats,
      data: blobs.data,
      tree: blobs.tree,
      dedupRatio: ratio(stats.logicalBytesAll, blobs.data.rawBytes),
      compressionRatio: ratio(blobs.data.rawBytes, blobs.data.storedBytes),
      ...(dataPrice !== undefined ? { monthlyCost: ((blobs.data.storedBytes + blobs.tree.storedBytes) / GIB) * dataPrice } : {}),
    }))
    .sort((x, y) => x.asset.localeCompare(y.asset));
  return {
    snapshots: snapshots.length,
    logicalBytesLatest: assets.reduce((n, x) => n + (x.latest?.logicalBytes ?? 0), 0),
    logicalBytesAll: logicalAll,
    data: all.data,
    tree: all.tree,
    referencedPackBytes: all.data.storedBytes + all.tree.storedBytes,
    totalPackBytes,
    dedupRatio: ratio(logicalAll, all.data.rawBytes),
    compressionRatio: ratio(all.data.rawBytes, all.data.storedBytes),
    objects,
    totalBytes,
    ...(o.pricing ? { monthlyCost: Object.values(objects).reduce((n, p) => n + (p.monthlyCost ?? 0), 0) } : {}),
    assets,
    growth,
  };
}

function emptyAsset(asset: string): AssetStats {
  return {
    asset,
    snapshots: 0,
    logicalBytesAll: 0,
    data: { count: 0, rawBytes: 0, storedBytes: 0 },
    tree: { count: 0, rawBytes: 0, storedBytes: 0 },
    dedupRatio: 1,
    compressionRatio: 1,
  };
}
