import { createHash } from 'node:crypto';
import { z } from 'zod';
import { IntegrityError } from '../../common/errors';

/**
 * Pack layout: chunk bytes back to back, then a JSON header listing them, then the header's
 * length as a 4-byte big-endian integer and the magic "LDRP". The pack's name is the SHA-256
 * of all its bytes, so uploads are idempotent and a pack can be checked as a whole.
 */
export const PACK_MAGIC = Buffer.from('LDRP');

export type BlobType = 'data' | 'tree';

export interface PackEntry {
  id: string;
  type: BlobType;
  offset: number;
  length: number;
}

const HeaderSchema = z.object({
  v: z.literal(1),
  blobs: z.array(z.tuple([z.string().regex(/^[0-9a-f]{64}$/), z.enum(['data', 'tree']), z.number().int().min(0), z.number().int().min(0)])),
});

export class PackBuilder {
  private parts: Buffer[] = [];
  private entries: PackEntry[] = [];
  private size = 0;
  private readonly ids = new Set<string>();

  get bytes(): number {
    return this.size;
  }
  get count(): number {
    return this.entries.length;
  }
  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string, type: BlobType, data: Buffer): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    this.entries.push({ id, type, offset: this.size, length: data.length });
    this.parts.push(data);
    this.size += data.length;
  }

  /** Seal into bytes and id; the builder is empty afterwards. */
  finish(): { id: string; body: Buffer; entries: PackEntry[] } {
    const header = Buffer.from(JSON.stringify({ v: 1, blobs: this.entries.map((e) => [e.id, e.type, e.offset, e.length]) }));
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32BE(header.length, 0);
    PACK_MAGIC.copy(trailer, 4);
    const body = Buffer.concat([...this.parts, header, trailer]);
    const id = createHash('sha256').update(body).digest('hex');
    const entries = this.entries;
    this.parts = [];
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
  return r.data.blobs.map(([id, type, offset, length]) => ({ id, type, offset, length }));
}

export function sha256hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
