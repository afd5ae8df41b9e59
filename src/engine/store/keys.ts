import { BadInputError } from '../../common/errors';
import type { ByteRange } from './blob-store';

/** S3's limit; also keeps filesystem paths sane. */
const MAX_KEY_BYTES = 1024;

function checkSegments(what: string, value: string, allowEmptyLast: boolean): void {
  if (value.startsWith('/')) throw new BadInputError(`${what} must not start with "/": ${JSON.stringify(value)}`);
  if (value.includes('\\')) throw new BadInputError(`${what} must not contain "\\": ${JSON.stringify(value)}`);
  if (value.includes('\0')) throw new BadInputError(`${what} must not contain NUL`);
  const segments = value.split('/');
  segments.forEach((seg, i) => {
    if (seg === '..' || seg === '.') throw new BadInputError(`${what} must not contain "${seg}" segments: ${JSON.stringify(value)}`);
    const last = i === segments.length - 1;
    if (seg === '' && !(last && allowEmptyLast)) throw new BadInputError(`${what} must not contain empty segments: ${JSON.stringify(value)}`);
  });
}

/** Object keys are '/'-separated relative names; anything that could escape a root is refused. */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new BadInputError('object key must be a non-empty string');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new BadInputError(`object key longer than ${MAX_KEY_BYTES} bytes`);
  checkSegments('object key', key, false);
}

/** A list prefix may be empty, end with '/', or stop in the middle of a segment. */
export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new BadInputError('list prefix must be a string');
  if (prefix === '') return;
  checkSegments('list prefix', prefix, true);
}

export function assertValidRange(range: ByteRange): void {
  const ok = Number.isSafeInteger(range.start) && range.start >= 0 && Number.isSafeInteger(range.length) && range.length >= 0;
  if (!ok) throw new BadInputError(`invalid byte range ${JSON.stringify(range)}`);
}

/** Byte order of the UTF-8 encoding, which is how S3 sorts keys. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
