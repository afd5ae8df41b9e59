import { createHash } from 'node:crypto';
import { z } from 'zod';
import { freeBuffer } from '../../common/free-buffer';
import { IntegrityError } from '../../common/errors';
import { type Fast, intIn, matching, oneOf, tupleOf } from '../../common/fast-schema';
import { Sha256HexSchema, SHA256_HEX_PATTERN } from '../../common/schema-primitives';

/**
 * Pack layout: chunk bytes back to back, then a JSON header listing them, then the header's
 * length as a 4-byte big-endian integer and the magic "LDRP". The pack's name is the SHA-256
 * of all its bytes, so uploads are idempotent and a pack can be checked as a whole.
 *
 * A blob entry is [id, type, offset, length] for a blob stored as is, or [id, type, offset,
 * length, rawLength] for one stored zstd-compressed (compressed before sealing), rawLength being
 * its plaintext length. Packs and index objects written before compression existed only hold
 * the four-field form, so they read back as uncompressed.
 */
export const PACK_MAGIC = Buffer.from('LDRP');

/**
 * Pack size where a plan or caller sets none: restic's default. A backup holds about four packs
 * (each of two batches fills one, two upload), so this sets a share of its peak memory: 16 MiB
 * instead of 32 lowered the engine's peak RSS for a full backup of the bench set from 382-439 to
 * 345-356 MiB. Not part of the format: packs of any size mix in one repository.
 */
export const DEFAULT_PACK_SIZE_MIB = 16;

export type BlobType = 'data' | 'tree';

export interface PackEntry {
  id: string;
  type: BlobType;
  offset: number;
  /** stored length (what the pack holds for this blob) */
  length: number;
  /** plaintext length when the blob is stored compressed; absent when stored as is */
  rawLength?: number;
}

const Len = z.number().int().min(0);
/** One blob entry of a pack header or an index object (see the layout above). */
export const BlobTupleSchema = z.union([
  z.tuple([Sha256HexSchema, z.enum(['data', 'tree']), Len, Len]),
  z.tuple([Sha256HexSchema, z.enum(['data', 'tree']), Len, Len, Len]),
]);
export type BlobTuple = z.infer<typeof BlobTupleSchema>;
const fastTuple = [matching(SHA256_HEX_PATTERN), oneOf('data', 'tree'), intIn(0), intIn(0)];
const fast4 = tupleOf<BlobTuple>(...fastTuple);
const fast5 = tupleOf<BlobTuple>(...fastTuple, intIn(0));
/** BlobTupleSchema by hand (common/fast-schema.ts): index objects hold one per chunk. */
export const fastBlobTuple: Fast<BlobTuple> = (v) => fast4(v) ?? fast5(v);

export function toBlobTuple(e: PackEntry): BlobTuple {
  return e.rawLength === undefined ? [e.id, e.type, e.offset, e.length] : [e.id, e.type, e.offset, e.length, e.rawLength];
}

export function fromBlobTuple([id, type, offset, length, rawLength]: BlobTuple): PackEntry {
  return rawLength === undefined ? { id, type, offset, length } : { id, type, offset, length, rawLength };
}

const HeaderSchema = z.object({
  v: z.literal(1),
  blobs: z.array(BlobTupleSchema),
});

/**
 * Builds one pack in a single buffer: each blob is copied in as it is added (its own buffer is
 * free right away), and the finished pack is a view of that buffer, not a second copy of it.
 */
export class PackBuilder {
  private buf: Buffer = Buffer.alloc(0);
  private entries: PackEntry[] = [];
  private size = 0;
  private readonly ids = new Set<string>();

  /** `capacity`: the pack size the caller fills up to, allocated at the first blob */
  constructor(private readonly capacity = 0) {}

  get bytes(): number {
    return this.size;
  }
  get count(): number {
    return this.entries.length;
  }
  has(id: string): boolean {
    return this.ids.has(id);
  }

  private append(data: Buffer): void {
    const need = this.size + data.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need + (need >> 2), this.size ? 0 : this.capacity));
      this.buf.copy(grown, 0, 0, this.size);
      if (this.buf.length) freeBuffer(this.buf.buffer);
      this.buf = grown;
    }
    data.copy(this.buf, this.size);
    this.size = need;
  }

  /** `rawLength`: the plaintext length when `data` is compressed */
  add(id: string, type: BlobType, data: Buffer, rawLength?: number): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    this.entries.push(
      rawLength === undefined ? { id, type, offset: this.size, length: data.length } : { id, type, offset: this.size, length: data.length, rawLength },
    );
    this.append(data);
  }

  /** Seal into bytes and id; the builder is empty afterwards. */
  finish(): { id: string; body: Buffer; entries: PackEntry[] } {
    const header = Buffer.from(JSON.stringify({ v: 1, blobs: this.entries.map(toBlobTuple) }));
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32BE(header.length, 0);
    PACK_MAGIC.copy(trailer, 4);
    this.append(header);
    this.append(trailer);
    const body = this.buf.subarray(0, this.size);
    const id = createHash('sha256').update(body).digest('hex');
    const entries = this.entries;
    this.buf = Buffer.alloc(0);
    this.entries = [];
    this.size = 0;
    this.ids.clear();
    return { id, body, entries };
  }
}

/** Parse the header of a whole pack (used by verify and index rebuilds). */
export function readPackHeader(body: Buffer, packId: string): PackEntry[] {
  if (body.length < 8 || !body.subarray(body.length - 4).equals(PACK_MAGIC)) throw new IntegrityError(`pack ${packId}: bad trailer`);
  const hlen = body.readUInt32BE(body.length - 8);
  if (hlen > body.length - 8) throw new IntegrityError(`pack ${packId}: header length out of range`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.subarray(body.length - 8 - hlen, body.length - 8).toString('utf8'));
  } catch {
    throw new IntegrityError(`pack ${packId}: header is not JSON`);
  }
  const r = HeaderSchema.safeParse(parsed);
  if (!r.success) throw new IntegrityError(`pack ${packId}: malformed header`);
  return r.data.blobs.map(fromBlobTuple);
}

export function sha256hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
