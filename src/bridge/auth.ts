import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { BadInputError } from '../common/errors';

/** The bridge's bearer token: from an environment variable or a file (trimmed); at least 16 characters. */
export function loadToken(o: { env?: string; file?: string }, env: NodeJS.ProcessEnv = process.env): string {
  let token: string | undefined;
  if (o.file) {
    if (!fs.existsSync(o.file)) throw new BadInputError(`--token-file: ${o.file} does not exist`);
    token = fs.readFileSync(o.file, 'utf8').trim();
  } else {
    const name = o.env ?? 'LEPTON_DR_BRIDGE_TOKEN';
    token = env[name]?.trim();
    if (!token) throw new BadInputError(`--token-env: environment variable ${name} is not set (the bridge refuses to run without a token)`);
  }
  if (token.length < 16) throw new BadInputError('bridge token: must be at least 16 characters');
  return token;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time check of an `Authorization: Bearer <token>` header (both sides hashed, so lengths leak nothing). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  const given = m ? m[1].trim() : '';
  const ok = timingSafeEqual(digest(given), digest(token));
  return ok && given.length > 0;
}
