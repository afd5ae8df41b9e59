import type { BlobType } from './pack';

/** Where one blob lives (see ChunkIndex). */
export interface BlobLocation {
  pack: string;
  type: BlobType;
  offset: number;
  /** stored length */
  length: number;
  /** plaintext length of a compressed blob; absent when stored as is */
  rawLength?: number;
}

const EMPTY = 0xffffffff;
const ID_BYTES = 32;

/**
 * blob id -> one location, packed into typed arrays: a 32-byte id and about 20 bytes of
 * location per blob, instead of a 64-character string key, a location object and a Map entry
 * (about 170 bytes). At a million chunks that is the difference between ~80 and ~170 MiB.
 * Ids are SHA-256 or HMAC values, so their first bytes are a uniform hash. Entries keep
 * insertion order; the hash table (open addressing, linear probing) holds entry numbers.
 */
export class LocationTable {
  private n = 0;
  private cap = 0;
  private ids = Buffer.alloc(0);
  private packOf = new Uint32Array(0);
  private offsets = new Float64Array(0);
  private lengths = new Uint32Array(0);
  /** rawLength + 1, 0 when absent */
  private raws = new Float64Array(0);
  private types = new Uint8Array(0);
  private table = new Uint32Array(0).fill(EMPTY);
  private readonly packNames: string[] = [];
  private readonly packNo = new Map<string, number>();

  get size(): number {
    return this.n;
  }

  private static key(id: string): Buffer | undefined {
    const b = Buffer.from(id, 'hex');
    return b.length === ID_BYTES && id.length === ID_BYTES * 2 ? b : undefined;
  }

  /**
   * The table slot of the id, or of the empty slot where it would go. Ids along a probe run share
   * the low bits of their first word: a JS compare of the second word passes over almost every
   * other id before the (native, per-call costly) compare of all 32 bytes.
   */
  private slot(key: Buffer): number {
    const mask = this.table.length - 1;
    const second = key.readUInt32LE(4);
    for (let s = key.readUInt32LE(0) & mask; ; s = (s + 1) & mask) {
      const e = this.table[s];
      if (e === EMPTY) return s;
      if (this.ids.readUInt32LE(e * ID_BYTES + 4) === second && key.compare(this.ids, e * ID_BYTES, (e + 1) * ID_BYTES) === 0) return s;
    }
  }

  private find(id: string): number {
    const key = LocationTable.key(id);
    if (!key || this.n === 0) return EMPTY;
    return this.table[this.slot(key)];
  }

  has(id: string): boolean {
    return this.find(id) !== EMPTY;
  }

  get(id: string): BlobLocation | undefined {
    const e = this.find(id);
    return e === EMPTY ? undefined : this.at(e);
  }

  private at(e: number): BlobLocation {
    const loc: BlobLocation = { pack: this.packNames[this.packOf[e]], type: this.types[e] ? 'tree' : 'data', offset: this.offsets[e], length: this.lengths[e] };
    if (this.raws[e]) loc.rawLength = this.raws[e] - 1;
    return loc;
  }

  /** Add or replace the id's location. */
  set(id: string, loc: BlobLocation): void {
    const key = LocationTable.key(id);
    if (!key) throw new Error(`blob id ${id.slice(0, 16)} is not 64 hex digits`);
    if ((this.n + 1) * 4 > this.table.length * 3) this.rehash(Math.max(1024, this.table.length * 2));
    const s = this.slot(key);
    let e = this.table[s];
    if (e === EMPTY) {
      if (this.n === this.cap) this.grow();
      e = this.n++;
      key.copy(this.ids, e * ID_BYTES);
      this.table[s] = e;
    }
    let p = this.packNo.get(loc.pack);
    if (p === undefined) {
      p = this.packNames.push(loc.pack) - 1;
      this.packNo.set(loc.pack, p);
    }
    this.packOf[e] = p;
    this.offsets[e] = loc.offset;
    this.lengths[e] = loc.length;
    this.raws[e] = loc.rawLength === undefined ? 0 : loc.rawLength + 1;
    this.types[e] = loc.type === 'tree' ? 1 : 0;
  }

  *entries(): IterableIterator<[string, BlobLocation]> {
    for (let e = 0; e < this.n; e++) yield [this.ids.toString('hex', e * ID_BYTES, (e + 1) * ID_BYTES), this.at(e)];
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const more = <T extends Uint32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    const ids = Buffer.alloc(cap * ID_BYTES);
    this.ids.copy(ids);
    this.ids = ids;
    this.packOf = more(this.packOf, (k) => new Uint32Array(k));
    this.offsets = more(this.offsets, (k) => new Float64Array(k));
    this.lengths = more(this.lengths, (k) => new Uint32Array(k));
    this.raws = more(this.raws, (k) => new Float64Array(k));
    this.types = more(this.types, (k) => new Uint8Array(k));
    this.cap = cap;
  }

  private rehash(size: number): void {
    this.table = new Uint32Array(size).fill(EMPTY);
    const mask = size - 1;
    for (let e = 0; e < this.n; e++) {
      let s = this.ids.readUInt32LE(e * ID_BYTES) & mask;
      while (this.table[s] !== EMPTY) s = (s + 1) & mask;
      this.table[s] = e;
    }
  }
}
