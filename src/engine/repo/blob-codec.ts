import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, randomBytes, randomFillSync, type KeyObject } from 'node:crypto';
import { IntegrityError } from '../../common/errors';
import { freeBuffer } from '../../common/free-buffer';

/**
 * How blobs are sealed and opened, without the key-management schemas (blob-cipher.ts), so a
 * worker thread opening blobs loads no zod: every blob is AES-256-GCM sealed on its own (12-byte
 * nonce, ciphertext, 16-byte tag), and chunk ids are HMAC-SHA256(idKey, plaintext).
 */
export const SEAL_OVERHEAD = 12 + 16;

/**
 * Keys are KeyObjects made once: handing Node a raw Buffer makes it build a key object on every
 * cipher or HMAC, which costs about twice the work of sealing an 8 KiB chunk.
 */
type Key = Buffer | KeyObject;

export function seal(key: Key, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  // one copy of the ciphertext, not two: final() runs before getAuthTag() (left to right)
  return Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]);
}

/** seal() written at `at` of `out` (which has room for storedLength): no buffer of its own beyond the cipher's; returns the bytes written. */
export function sealInto(key: Key, plain: Buffer, out: Buffer, at: number): number {
  const iv = randomFillSync(out, at, 12).subarray(at, at + 12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = c.update(plain);
  let n = 12 + body.copy(out, at + 12);
  freeBuffer(body);
  n += c.final().copy(out, at + n);
  return n + c.getAuthTag().copy(out, at + n);
}

export function open(key: Key, sealed: Buffer, what: string): Buffer {
  if (sealed.length < SEAL_OVERHEAD) throw new IntegrityError(`${what}: sealed blob too short`);
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    const plain = d.update(sealed.subarray(12, sealed.length - 16));
    // GCM is a stream mode: final() checks the tag and adds no bytes, so no second copy is needed
    const rest = d.final();
    return rest.length ? Buffer.concat([plain, rest]) : plain;
  } catch {
    throw new IntegrityError(`${what}: failed AES-GCM authentication (corrupt or tampered)`);
  }
}

/** The derived keys of an encrypted repository: what a worker thread needs to open its blobs. */
export interface CodecKeys {
  encKey: Buffer;
  idKey: Buffer;
}

/** How a repository turns plaintext into stored blobs and ids; plain repositories use SHA-256 and store as is. */
export interface BlobCodec {
  readonly encrypted: boolean;
  /** hex key for worker threads computing ids, undefined for plain SHA-256 */
  readonly idKeyHex?: string;
  /** for worker threads opening blobs: the keys (sent to each thread once) and a name for them that reveals nothing */
  readonly keys?: CodecKeys;
  readonly keysRef?: string;
  id(plain: Buffer): string;
  encode(plain: Buffer): Buffer;
  /** encode() written at `at` of `out`, which has room for storedLength(plain.length); returns the bytes written */
  encodeInto(plain: Buffer, out: Buffer, at: number): number;
  decode(stored: Buffer, what: string): Buffer;
  /** stored length for a plaintext length */
  storedLength(plainLength: number): number;
}

export const plainCodec: BlobCodec = {
  encrypted: false,
  id: (p) => createHash('sha256').update(p).digest('hex'),
  encode: (p) => p,
  encodeInto: (p, out, at) => p.copy(out, at),
  decode: (s) => s,
  storedLength: (n) => n,
};

/** The codec of an encrypted repository from its derived keys. */
export function keyedCodec(keys: CodecKeys): BlobCodec {
  const encKey = createSecretKey(keys.encKey);
  const idKey = createSecretKey(keys.idKey);
  return {
    encrypted: true,
    idKeyHex: keys.idKey.toString('hex'),
    keys,
    keysRef: createHash('sha256').update('lepton-dr thread keys\u0000').update(keys.encKey).update(keys.idKey).digest('hex').slice(0, 32),
    id: (p) => createHmac('sha256', idKey).update(p).digest('hex'),
    encode: (p) => seal(encKey, p),
    encodeInto: (p, out, at) => sealInto(encKey, p, out, at),
    decode: (s, what) => open(encKey, s, what),
    storedLength: (n) => n + SEAL_OVERHEAD,
  };
}
