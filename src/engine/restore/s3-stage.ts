import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { IntegrityError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import type { BatchView } from '../limits/host-limits';
import { takeAll } from '../limits/token-bucket';
import type { Repository } from '../repo/repository';
import type { S3Location } from '../source/s3-location';
import type { RestoreItem } from './restore-plan';

/** Objects up to this size are one PUT; larger ones a multipart upload of parts this size or a little more. */
export const S3_PART_BYTES = 16 * 1024 * 1024;
const CHUNKS_IN_FLIGHT = 8;
/** The file's plaintext, chunk group by chunk group of about `groupBytes`, in order; every chunk checked against its id. */
async function* fileParts(repo: Repository, view: BatchView, f: RestoreItem, groupBytes: number): AsyncGenerator<Buffer> {
  const index = await repo.loadIndex();
  let group: string[] = [];
  let bytes = 0;
  const read = async (ids: string[]) => {
    const bufs = await mapLimit(ids, CHUNKS_IN_FLIGHT, (id) => {
      const loc = index.get(id);
      if (!loc) throw new IntegrityError(`file "${f.path}": chunk ${id.slice(0, 12)} is not in the repository index (missing data)`);
      return repo.readBlob(id, loc, `file "${f.path}"`, view.store);
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

/** Content-MD5 of a body: the store refuses an upload whose bytes differ from what was sent. */
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

/**
 * Write one file below the staging prefix: one PUT when small, a multipart upload when large.
 * Chunks are read under the batch's limits; every body waits for the upload buckets before it is sent.
 * `onSent` hears the bytes of each part once the store has them, so a large object shows progress.
 */
export async function stageS3File(
  repo: Repository,
  view: BatchView,
  loc: S3Location,
  key: string,
  f: RestoreItem,
  onSent?: (bytes: number) => void,
): Promise<void> {
  const Bucket = loc.bucket;
  if (f.size <= S3_PART_BYTES) {
    const parts: Buffer[] = [];
    for await (const p of fileParts(repo, view, f, Infinity)) parts.push(p);
    const body = Buffer.concat(parts);
    if (body.length !== f.size) throw new IntegrityError(`file "${f.path}": its chunks hold ${body.length} bytes, the snapshot says ${f.size}`);
    await takeAll(view.upload, body.length);
    await loc.client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentLength: body.length, ContentMD5: md5(body) }));
    return;
  }
  const { UploadId } = await loc.client.send(new CreateMultipartUploadCommand({ Bucket, Key: key }));
  try {
    const done: { ETag?: string; PartNumber: number }[] = [];
    let total = 0;
    for await (const body of fileParts(repo, view, f, S3_PART_BYTES)) {
      const PartNumber = done.length + 1;
      await takeAll(view.upload, body.length);
      const r = await loc.client.send(
        new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber, Body: body, ContentLength: body.length, ContentMD5: md5(body) }),
      );
      done.push({ ETag: r.ETag, PartNumber });
      total += body.length;
      onSent?.(body.length);
    }
    if (total !== f.size) throw new IntegrityError(`file "${f.path}": its chunks hold ${total} bytes, the snapshot says ${f.size}`);
    await loc.client.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }));
  } catch (e) {
    await loc.client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId })).catch(() => undefined);
    throw e;
  }
}
