import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { BadInputError, IntegrityError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import type { Repository, SnapshotSelector } from '../repo/repository';
import type { FileEntry } from '../repo/tree';
import { listPrefix } from '../source/s3-source';
import type { S3Location } from '../source/s3-location';
import { checkRestorePaths } from './safe-paths';

/** Objects up to this size are one PUT; larger ones a multipart upload of parts this size or a little more. */
export const S3_PART_BYTES = 16 * 1024 * 1024;
const FILES_IN_FLIGHT = 8;
const CHUNKS_IN_FLIGHT = 8;
const COPIES_IN_FLIGHT = 16;

export interface RestoreToS3Options {
  restoreId?: string;
  asset?: string;
  snapshot: SnapshotSelector;
  /** the prefix that holds exactly the snapshot's files afterwards (keys outside the snapshot are deleted) */
  target: S3Location;
}

export interface S3RestoreOutcome {
  snapshotId: string;
  target: string;
  files: number;
  bytes: number;
  /** the staging prefix the objects were written to before publishing */
  staging: string;
  /** what an object store cannot hold: folders, symlinks, special files, modes, owners, mtimes */
  warnings: string[];
}

/** ".../models/" -> ".../.models.lepton-restore-<id>/": next to the target, never inside it. */
export function s3StagingFor(prefix: string, restoreId: string): string {
  const body = prefix.replace(/\/$/, '');
  const cut = body.lastIndexOf('/');
  return `${body.slice(0, cut + 1)}.${body.slice(cut + 1)}.lepton-restore-${restoreId}/`;
}

const encodeKey = (k: string) => k.split('/').map(encodeURIComponent).join('/');

/** The file's plaintext, chunk group by chunk group of about `groupBytes`, in order. */
async function* fileParts(repo: Repository, f: FileEntry, groupBytes: number): AsyncGenerator<Buffer> {
  const index = await repo.loadIndex();
  let group: string[] = [];
  let bytes = 0;
  const read = async (ids: string[]) => {
    const bufs = await mapLimit(ids, CHUNKS_IN_FLIGHT, (id) => {
      const loc = index.get(id);
      if (!loc) throw new IntegrityError(`file "${f.path}": chunk ${id.slice(0, 12)} is not in the repository index (missing data)`);
      return repo.readBlob(id, loc, `file "${f.path}"`);
    });
    return Buffer.concat(bufs);
  };
  for (const id of f.chunks) {
    group.push(id);
    bytes += index.get(id)?.length ?? 0;
    if (bytes >= groupBytes) {
      yield await read(group);
      group = [];
      bytes = 0;
    }
  }
  if (group.length || f.size === 0) yield await read(group);
}

/** Write one file below the staging prefix: one PUT when small, a multipart upload when large. */
async function stageFile(repo: Repository, loc: S3Location, key: string, f: FileEntry): Promise<void> {
  const Bucket = loc.bucket;
  if (f.size <= S3_PART_BYTES) {
    const parts: Buffer[] = [];
    for await (const p of fileParts(repo, f, Infinity)) parts.push(p);
    const body = Buffer.concat(parts);
    if (body.length !== f.size) throw new IntegrityError(`file "${f.path}": its chunks hold ${body.length} bytes, the snapshot says ${f.size}`);
    await loc.client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentLength: body.length }));
    return;
  }
  const { UploadId } = await loc.client.send(new CreateMultipartUploadCommand({ Bucket, Key: key }));
  try {
    const done: { ETag?: string; PartNumber: number }[] = [];
    let total = 0;
    for await (const body of fileParts(repo, f, S3_PART_BYTES)) {
      const PartNumber = done.length + 1;
      const r = await loc.client.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber, Body: body, ContentLength: body.length }));
      done.push({ ETag: r.ETag, PartNumber });
      total += body.length;
    }
    if (total !== f.size) throw new IntegrityError(`file "${f.path}": its chunks hold ${total} bytes, the snapshot says ${f.size}`);
    await loc.client.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }));
  } catch (e) {
    await loc.client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId })).catch(() => undefined);
    throw e;
  }
}

async function deleteAll(loc: S3Location, keys: string[]): Promise<void> {
  await mapLimit(keys, COPIES_IN_FLIGHT, (Key) => loc.client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key })));
}

/**
 * Restore a snapshot's files to an S3 prefix. Every object is first written below a staging
 * prefix next to the target; only when all are staged (and listed back with their sizes) are
 * they published: copied to the target keys, then target keys the snapshot lacks are deleted,
 * then the staging prefix goes. A failure before publishing removes the staging objects and
 * leaves the target prefix as it was. Objects get the content bytes only: S3 sets their
 * last-modified itself (the snapshot keeps the source's), and no content type is stored.
 */
export async function restoreToS3(repo: Repository, o: RestoreToS3Options): Promise<S3RestoreOutcome> {
  const loc = o.target;
  if (!loc.prefix) throw new BadInputError(`target: refusing to restore over the whole bucket ${loc.bucket}; give s3://${loc.bucket}/prefix`);
  const restoreId = o.restoreId ?? randomUUID();
  const m = await repo.resolveSnapshot(o.asset, o.snapshot);
  if (o.asset && m.asset !== o.asset) throw new BadInputError(`snapshot ${m.id} belongs to asset "${m.asset}", not "${o.asset}"`);
  const entries = await repo.loadTree(m);
  checkRestorePaths(entries, m.id);
  const files = entries.filter((e): e is FileEntry => e.type === 'file');
  const warnings: string[] = [];
  const others = entries.filter((e) => e.type !== 'file' && e.type !== 'dir');
  if (others.length) warnings.push(`${others.length} symlinks or special files are not restored to an object store (first: ${others[0].path})`);
  const staging = s3StagingFor(loc.prefix, restoreId);
  await repo.loadIndex(true);

  try {
    await mapLimit(files, FILES_IN_FLIGHT, (f) => stageFile(repo, loc, staging + f.path, f));
    const staged = new Map((await listPrefix(loc, staging)).map((s) => [s.Key, s.Size ?? 0]));
    for (const f of files) {
      if (staged.get(staging + f.path) !== f.size)
        throw new IntegrityError(`restore ${restoreId}: ${staging}${f.path} is missing or has the wrong size after staging`);
    }
  } catch (e) {
    await deleteAll(
      loc,
      (await listPrefix(loc, staging)).map((s) => s.Key as string),
    ).catch(() => undefined);
    throw e;
  }

  const wanted = new Set(files.map((f) => loc.prefix + f.path));
  const before = (await listPrefix(loc)).map((s) => s.Key as string);
  await mapLimit(files, COPIES_IN_FLIGHT, (f) =>
    loc.client.send(new CopyObjectCommand({ Bucket: loc.bucket, Key: loc.prefix + f.path, CopySource: encodeKey(`${loc.bucket}/${staging}${f.path}`) })),
  );
  await deleteAll(
    loc,
    before.filter((k) => !wanted.has(k)),
  );
  await deleteAll(
    loc,
    files.map((f) => staging + f.path),
  );
  const bytes = files.reduce((s, f) => s + f.size, 0);
  return { snapshotId: m.id, target: loc.url, files: files.length, bytes, staging, warnings };
}
