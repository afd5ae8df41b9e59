import { hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { z } from 'zod';
import { BadInputError } from '../../common/errors';
import { keyedCodec, open, seal, type BlobCodec } from './blob-codec';

/**
 * Optional encryption at rest (sealing itself: blob-codec.ts): the random master key is stored
 * wrapped by a key derived from the repository password with scrypt, and the blob and chunk-id
 * keys are derived from the master key.
 */
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

export function encryptedCodec(master: Buffer): BlobCodec {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32));
  return keyedCodec({ encKey: derive('lepton-dr blob encryption'), idKey: derive('lepton-dr chunk id') });
}
