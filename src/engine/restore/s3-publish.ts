import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { BadInputError, IntegrityError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import { findSignedJson } from '../repo/json-documents';
import { restoreTmpPrefix } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { writeSignedJson } from '../repo/signed-doc';
import { listPrefix } from '../source/s3-source';
import type { S3Location } from '../source/s3-location';

const COPIES_IN_FLIGHT = 16;

/** S3 copies one object in one request up to 5 GiB; a bigger one is a multipart upload of ranged part copies. */
export interface CopyLimits {
  singleMaxBytes: number;
  partBytes: number;
}
export const S3_COPY_LIMITS: CopyLimits = { singleMaxBytes: 5 * 1024 ** 3, partBytes: 512 * 1024 ** 2 };

/** ".../models/" -> ".../.models.lepton-<what>-<id>/": next to the target, never inside it. */
function besideTarget(prefix: string, what: string, restoreId: string): string {
  const body = prefix.replace(/\/$/, '');
  const cut = body.lastIndexOf('/');
  return `${body.slice(0, cut + 1)}.${body.slice(cut + 1)}.lepton-${what}-${restoreId}/`;
}

/** Where a restore's objects are written before they are published. */
export const s3StagingFor = (prefix: string, restoreId: string): string => besideTarget(prefix, 'restore', restoreId);
/** Where the target's objects are kept while a restore publishes (the rollback copies them back). */
export const s3AsideFor = (prefix: string, restoreId: string): string => besideTarget(prefix, 'old', restoreId);

/** The target's objects as they were before publishing began: recorded once, after they were copied aside. */
const AsideSchema = z.object({ v: z.literal(1), keys: z.array(z.string()) });
const asideKey = (restoreId: string) => `${restoreTmpPrefix(restoreId)}s3-aside.json`;

const encodeKey = (k: string) => k.split('/').map(encodeURIComponent).join('/');

function refused(e: unknown, loc: S3Location, what: string): Error {
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  // no retry gives the worker a right its credentials lack
  if (status === 403) return new BadInputError(`target: ${loc.url}: the store refused ${what} (access denied)`);
  return e as Error;
}

async function copyKey(loc: S3Location, from: string, to: string, size: number, limits: CopyLimits): Promise<void> {
  const CopySource = encodeKey(`${loc.bucket}/${from}`);
  try {
    if (size <= limits.singleMaxBytes) {
      await loc.client.send(new CopyObjectCommand({ Bucket: loc.bucket, Key: to, CopySource }));
      return;
    }
    const { UploadId } = await loc.client.send(new CreateMultipartUploadCommand({ Bucket: loc.bucket, Key: to }));
    try {
      const Parts: { ETag?: string; PartNumber: number }[] = [];
      for (let at = 0, PartNumber = 1; at < size; at += limits.partBytes, PartNumber++) {
        const range = `bytes=${at}-${Math.min(at + limits.partBytes, size) - 1}`;
        const r = await loc.client.send(new UploadPartCopyCommand({ Bucket: loc.bucket, Key: to, UploadId, PartNumber, CopySource, CopySourceRange: range }));
        Parts.push({ ETag: r.CopyPartResult?.ETag, PartNumber });
      }
      await loc.client.send(new CompleteMultipartUploadCommand({ Bucket: loc.bucket, Key: to, UploadId, MultipartUpload: { Parts } }));
    } catch (e) {
      await loc.client.send(new AbortMultipartUploadCommand({ Bucket: loc.bucket, Key: to, UploadId })).catch(() => undefined);
      throw e;
    }
  } catch (e) {
    throw refused(e, loc, `copying ${from} to ${to}`);
  }
}

export async function deleteKeys(loc: S3Location, keys: string[]): Promise<void> {
  await mapLimit(keys, COPIES_IN_FLIGHT, async (Key) => {
    try {
      await loc.client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key }));
    } catch (e) {
      throw refused(e, loc, `deleting ${Key}`);
    }
  });
}

const keysUnder = async (loc: S3Location, prefix: string) => (await listPrefix(loc, prefix)).map((o) => o.Key as string);
const sizesUnder = async (loc: S3Location, prefix: string) => new Map((await listPrefix(loc, prefix)).map((o) => [o.Key as string, o.Size ?? 0]));

export interface PublishFile {
  path: string;
  size: number;
}

/**
 * Publish staged objects onto the target prefix, so that it holds exactly `files`. S3 has no
 * rename, so the target's objects are first copied aside (server-side) and their keys recorded
 * in the repository; only then is any target key written: staged objects copied over, keys the
 * snapshot lacks deleted, the result listed back with its sizes. Idempotent: a retry after a
 * crash publishes again from the same record. A failure at any point is undone by
 * `rollbackS3Publish`.
 */
export async function publishS3(
  repo: Repository,
  restoreId: string,
  loc: S3Location,
  staging: string,
  files: PublishFile[],
  limits: CopyLimits = S3_COPY_LIMITS,
): Promise<void> {
  const aside = s3AsideFor(loc.prefix, restoreId);
  if (!(await findSignedJson(repo, asideKey(restoreId), AsideSchema))) {
    const before = await sizesUnder(loc, loc.prefix);
    await mapLimit([...before], COPIES_IN_FLIGHT, ([k, size]) => copyKey(loc, k, aside + k.slice(loc.prefix.length), size, limits));
    await writeSignedJson(repo, asideKey(restoreId), { v: 1, keys: [...before.keys()] });
  }
  await mapLimit(files, COPIES_IN_FLIGHT, (f) => copyKey(loc, staging + f.path, loc.prefix + f.path, f.size, limits));
  const wanted = new Map(files.map((f) => [loc.prefix + f.path, f.size]));
  const now = await listPrefix(loc, loc.prefix);
  await deleteKeys(
    loc,
    now.map((o) => o.Key as string).filter((k) => !wanted.has(k)),
  );
  const sizes = new Map(now.map((o) => [o.Key as string, o.Size ?? 0]));
  for (const [k, size] of wanted)
    if (sizes.get(k) !== size) throw new IntegrityError(`restore ${restoreId}: ${k} is missing or has the wrong size after publishing`);
}

/** After a published restore is recorded done: the aside copies and the staging objects go. `asideKeys`: the aside listing when the caller has it. */
export async function dropS3Aside(loc: S3Location, restoreId: string, asideKeys?: string[]): Promise<void> {
  await deleteKeys(loc, asideKeys ?? (await keysUnder(loc, s3AsideFor(loc.prefix, restoreId))));
  await deleteKeys(loc, await keysUnder(loc, s3StagingFor(loc.prefix, restoreId)));
}

/**
 * Compensation of a restore that is not done: put the target prefix back as it was. When
 * publishing had begun (the aside record exists), every recorded object is copied back from
 * aside and keys it did not have are deleted; the record goes before the aside copies, so an
 * interrupted rollback retried never copies from objects it already removed. Then the aside and
 * staging objects are removed.
 */
export async function rollbackS3Publish(repo: Repository, restoreId: string, loc: S3Location, limits: CopyLimits = S3_COPY_LIMITS): Promise<void> {
  const record = await findSignedJson(repo, asideKey(restoreId), AsideSchema);
  if (!record) return dropS3Aside(loc, restoreId);
  const aside = s3AsideFor(loc.prefix, restoreId);
  // one listing of the aside copies: their sizes for the copies back, then their keys for the removal
  const sizes = await sizesUnder(loc, aside);
  await mapLimit(record.keys, COPIES_IN_FLIGHT, (k) => {
    const from = aside + k.slice(loc.prefix.length);
    return copyKey(loc, from, k, sizes.get(from) ?? 0, limits);
  });
  const had = new Set(record.keys);
  await deleteKeys(
    loc,
    (await keysUnder(loc, loc.prefix)).filter((k) => !had.has(k)),
  );
  await repo.store.delete(asideKey(restoreId));
  await dropS3Aside(loc, restoreId, [...sizes.keys()]);
}
