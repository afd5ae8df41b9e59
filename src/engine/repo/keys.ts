import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BadInputError } from '../../common/errors';

/** The repository's signing key: 32 random bytes, hex in a file or an env var. Never stored in the repository. */
export interface KeySource {
  keyFile?: string;
  keyEnv?: string;
}

export function loadKey(src: KeySource, env: NodeJS.ProcessEnv = process.env, createIfMissing = false): Buffer {
  if (src.keyEnv) {
    const v = env[src.keyEnv];
    if (!v) throw new BadInputError(`repository.keyEnv: environment variable ${src.keyEnv} is not set`);
    return parseKey(v, `env ${src.keyEnv}`);
  }
  if (!src.keyFile) throw new BadInputError('repository: give keyFile or keyEnv (the signing key)');
  if (fs.existsSync(src.keyFile)) return parseKey(fs.readFileSync(src.keyFile, 'utf8'), src.keyFile);
  if (!createIfMissing) throw new BadInputError(`repository.keyFile: ${src.keyFile} does not exist`);
  fs.mkdirSync(path.dirname(src.keyFile), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    fs.writeFileSync(src.keyFile, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return parseKey(fs.readFileSync(src.keyFile, 'utf8'), src.keyFile);
    throw e;
  }
}

function parseKey(text: string, where: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64,}$/.test(hex)) throw new BadInputError(`${where}: the key must be at least 64 hex characters`);
  return Buffer.from(hex, 'hex');
}

/** HMAC-SHA256 under the key over the parts in order, as over their concatenation (strings as UTF-8). */
export function mac(key: Buffer, ...parts: (string | Buffer)[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

export function sign(key: Buffer, body: string): string {
  return mac(key, body).toString('hex');
}

/** Whether `got` is the MAC of the parts, compared in constant time. */
export function verifyMac(key: Buffer, parts: (string | Buffer)[], got: Buffer): boolean {
  const want = mac(key, ...parts);
  return got.length === want.length && timingSafeEqual(got, want);
}

export function verifySignature(key: Buffer, body: string, signature: string): boolean {
  return verifyMac(key, [body], Buffer.from(signature, 'hex'));
}
