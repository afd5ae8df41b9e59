import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, hkdfSync, randomBytes, scryptSync, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { BadInputError, IntegrityError } from '../../common/errors';

/**
 * Optional encryption at rest: every blob is AES-256-GCM sealed on its own (12-byte nonce,
 * ciphertext, 16-byte tag), and chunk ids become HMAC-SHA256(idKey, plaintext) so ids do not
 * reveal content hashes. The random master key is stored wrapped by a key derived from the
 * repository password with scrypt.
 */
export const SEAL_OVERHEAD = 12 + 16;

export const KdfSchema = z.object({
  name: z.literal('scrypt'),
  salt: z.string().regex(/^[0-9a-f]{32,}$/),
  N: z.number().int(),
  r: z.number().int(),
  p: z.number().int(),
});
/** The master key sealed under a key derived from one password. */
export const WrappedKeySchema = z.object({
  kdf: KdfSchema,
  /** nonce + wrapped master key + tag, hex */
  wrappedKey: z.string().regex(/^[0-9a-f]+$/),
});
export type WrappedKey = z.infer<typeof WrappedKeySchema>;

export const EncryptionConfigSchema = z.object({
  algo: z.literal('aes-256-gcm'),
  kdf: KdfSchema,
  /** the key the repository was created with; absent once it was removed (keys/ then holds the others) */
  wrappedKey: z
    .string()
    .regex(/^[0-9a-f]+$/)
    .optional(),
});
export type EncryptionConfig = z.infer<typeof EncryptionConfigSchema>;

const KDF = { N: 1 << 15, r: 8, p: 1 };

function kek(password: string, kdf: WrappedKey['kdf']): Buffer {
  return scryptSync(password, Buffer.from(kdf.salt, 'hex'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * 1024 * 1024 });
}

/**
 * Keys are KeyObjects made once: handing Node a raw Buffer makes it build a key object on every
 * cipher or HMAC, which costs about twice the work of sealing an 8 KiB chunk.
 */
type Key = Buffer | KeyObject;

function seal(key: Key, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  // one copy of the ciphertext, not two: final() runs before getAuthTag() (left to right)
  return Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]);
}

function open(key: Key, sealed: Buffer, what: string): Buffer {
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

export function wrapMaster(master: Buffer, password: string): WrappedKey {
  const kdf = { name: 'scrypt' as const, salt: randomBytes(16).toString('hex'), ...KDF };
  return { kdf, wrappedKey: seal(kek(password, kdf), master).toString('hex') };
}

export function newEncryptionConfig(password: string): { config: EncryptionConfig; master: Buffer } {
  const master = randomBytes(32);
  return { config: { algo: 'aes-256-gcm', ...wrapMaster(master, password) }, master };
}

export function unwrapMaster(cfg: WrappedKey, password: string): Buffer {
  try {
    return open(kek(password, cfg.kdf), Buffer.from(cfg.wrappedKey, 'hex'), 'repository key');
  } catch {
    throw new BadInputError('repository password is wrong (cannot unwrap the repository key)');
  }
}

/** How a repository turns plaintext into stored blobs and ids; plain repositories use SHA-256 and store as is. */
export interface BlobCodec {
  readonly encrypted: boolean;
  /** hex key for worker threads computing ids, undefined for plain SHA-256 */
  readonly idKeyHex?: string;
  id(plain: Buffer): string;
  encode(plain: Buffer): Buffer;
  decode(stored: Buffer, what: string): Buffer;
  /** stored length for a plaintext length */
  storedLength(plainLength: number): number;
}

export const plainCodec: BlobCodec = {
  encrypted: false,
  id: (p) => createHash('sha256').update(p).digest('hex'),
  encode: (p) => p,
  decode: (s) => s,
  storedLength: (n) => n,
};

export function encryptedCodec(master: Buffer): BlobCodec {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  const encKey = createSecretKey(derive('lepton-dr blob encryption'));
  const idKeyBytes = derive('lepton-dr chunk id');
  const idKey = createSecretKey(idKeyBytes);
  return {
    encrypted: true,
    idKeyHex: idKeyBytes.toString('hex'),
    id: (p) => createHmac('sha256', idKey).update(p).digest('hex'),
    encode: (p) => seal(encKey, p),
    decode: (s, what) => open(encKey, s, what),
    storedLength: (n) => n + SEAL_OVERHEAD,
  };
}
