import { GetObjectCommand, ListObjectsV2Command, type _Object } from '@aws-sdk/client-s3';
import picomatch from 'picomatch';
import { BadInputError, SourceChangedError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import { chunkBuffer } from '../chunker/chunk-segments';
import type { ChunkPool } from '../chunker/pool';
import { takeAll, type TokenBucket } from '../limits/token-bucket';
import type { ChunkTask, ChunkTaskResult } from '../chunker/chunk-task';
import type { ScannedEntry, ScanResult } from '../backup/scan';
import type { WorkItem } from '../backup/work-plan';
import type { RootMeta } from '../repo/tree';
import { keyToPath, parentsOf } from './s3-keys';
import type { S3Location } from './s3-location';
import type { BackupSource, SourceFilter } from './source';
import { cmpTreePath } from './tree-order';

/** Bytes per ranged GET of a large object, and GETs in flight per task. */
export const S3_RANGE_BYTES = 16 * 1024 * 1024;
export const S3_GET_CONCURRENCY = 16;

// objects have no mode: files restore as 0644, folders as 0755
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

const nsOf = (d: Date | undefined) => (BigInt(d?.getTime() ?? 0) * 1_000_000n).toString();

/** List every object under the location's prefix, all pages. */
export async function listPrefix(loc: S3Location, under = loc.prefix): Promise<_Object[]> {
  const out: _Object[] = [];
  let token: string | undefined;
  do {
    const res = await loc.client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: under, ContinuationToken: token }));
    out.push(...(res.Contents ?? []));
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * An S3 prefix as a source: keys below it are paths, folders come from "/". The change key is
 * size + ETag + last-modified, so an object whose three match the parent snapshot's entry is
 * not downloaded. Content is read with ranged GETs (at most S3_RANGE_BYTES each), pinned to
 * the scanned ETag with If-Match: an object replaced since the scan fails the read.
 */
export class S3Source implements BackupSource {
  readonly url: string;
  private etags = new Map<string, string>();

  constructor(
    private readonly loc: S3Location,
    /** bandwidth limits every ranged GET waits for (its length) before it is sent */
    private readonly download: readonly TokenBucket[] = [],
  ) {
    this.url = loc.url;
  }

  async scan(filter: SourceFilter): Promise<ScanResult> {
    const isExcluded = filter.exclude?.length ? picomatch(filter.exclude, { dot: true }) : () => false;
    const isIncluded = filter.include?.length ? picomatch(filter.include, { dot: true }) : () => true;
    let objects: _Object[];
    try {
      objects = await listPrefix(this.loc);
    } catch (e) {
      throw new BadInputError(`source: cannot list ${this.url}: ${(e as Error).message}`);
    }
    const warnings: string[] = [];
    const files = new Map<string, _Object>();
    const folders = new Map<string, bigint>();
    const touch = (dir: string, ns: bigint) => folders.set(dir, (folders.get(dir) ?? 0n) > ns ? (folders.get(dir) as bigint) : ns);
    for (const o of objects) {
      if (o.Key === undefined || !o.Key.startsWith(this.loc.prefix)) continue;
      const kp = keyToPath(o.Key.slice(this.loc.prefix.length));
      if ('refused' in kp) {
        warnings.push(`${o.Key}: key refused, it has ${kp.refused}; not backed up`);
        continue;
      }
      if (isExcluded(kp.path) || parentsOf(kp.path).some((d) => isExcluded(d))) continue;
      const ns = BigInt(nsOf(o.LastModified));
      if (kp.folder) {
        touch(kp.path, 0n);
      } else {
        if (!isIncluded(kp.path)) continue;
        files.set(kp.path, o);
      }
      for (const d of parentsOf(kp.path)) touch(d, kp.folder ? 0n : ns);
    }
    for (const p of [...files.keys()]) {
      if (folders.has(p)) {
        warnings.push(`${this.loc.prefix}${p}: the key is both an object and a folder of other keys; the object is not backed up`);
        files.delete(p);
      }
    }
    // a folder's mtime: the newest object below it (S3 keeps none for folders)
    const entries: ScannedEntry[] = [];
    for (const p of [...folders.keys(), ...files.keys()].sort(cmpTreePath)) {
      const o = files.get(p);
      if (!o) {
        entries.push({ type: 'dir', path: p, mode: DIR_MODE, mtimeNs: (folders.get(p) as bigint).toString() });
        continue;
      }
      const etag = o.ETag ?? '';
      this.etags.set(p, etag);
      entries.push({ type: 'file', path: p, mode: FILE_MODE, mtimeNs: nsOf(o.LastModified), size: o.Size ?? 0, etag });
    }
    const root: RootMeta = { mode: DIR_MODE, mtimeNs: '0' };
    return { entries, root, skipped: [], warnings };
  }

  /** The item's key below the prefix; its scanned ETag (in the work item: batches may run in another process than the scan) pins the reads. */
  segmentPath(item: WorkItem): string {
    if (item.etag) this.etags.set(item.path, item.etag);
    return item.path;
  }

  /** Read the task's ranges here, then chunk and hash them on the pool's (lower priority) threads when there is a pool. */
  async chunk(task: ChunkTask, pool?: ChunkPool): Promise<ChunkTaskResult> {
    const total = task.segments.reduce((s, g) => s + (g.end - g.start), 0);
    // its own ArrayBuffer (never a slice of Node's shared pool): it is transferred to a chunk thread
    const buf = Buffer.allocUnsafeSlow(total);
    const reads: { key: string; path: string; start: number; end: number; at: number }[] = [];
    let at = 0;
    for (const seg of task.segments) {
      const p = String(seg.path);
      for (let s = seg.start; s < seg.end; s += S3_RANGE_BYTES) {
        const e = Math.min(seg.end, s + S3_RANGE_BYTES);
        reads.push({ key: this.loc.prefix + p, path: p, start: s, end: e, at: at + s - seg.start });
      }
      at += seg.end - seg.start;
    }
    await mapLimit(reads, S3_GET_CONCURRENCY, async (r) => {
      await takeAll(this.download, r.end - r.start);
      let res;
      try {
        res = await this.loc.client.send(
          new GetObjectCommand({ Bucket: this.loc.bucket, Key: r.key, Range: `bytes=${r.start}-${r.end - 1}`, IfMatch: this.etags.get(r.path) || undefined }),
        );
      } catch (e) {
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412 || status === 404) throw new SourceChangedError(`source object ${r.key} changed or vanished during the backup`);
        throw e;
      }
      let got = 0;
      for await (const piece of res.Body as AsyncIterable<Buffer>) {
        if (got + piece.length > r.end - r.start) throw new SourceChangedError(`source object ${r.key} changed during the backup (range longer than asked)`);
        piece.copy(buf, r.at + got);
        got += piece.length;
      }
      if (got !== r.end - r.start) throw new SourceChangedError(`source object ${r.key} changed during the backup (short read at ${r.start})`);
    });
    return pool ? pool.run(task, buf.buffer as ArrayBuffer) : chunkBuffer(task, buf);
  }

  close(): void {
    this.loc.client.destroy();
  }
}
