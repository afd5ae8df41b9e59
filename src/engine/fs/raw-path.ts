import { isUtf8 } from 'node:buffer';

/**
 * Paths whose bytes are not valid UTF-8. Node decodes such names lossily unless asked for
 * Buffers, and a lossy name cannot be opened again. The tree keeps a readable `path` plus, only
 * for those names, the exact bytes (`rawPath`, base64); every fs call on them takes a Buffer.
 */

/** A filesystem path as the fs module takes it: a string when the bytes are UTF-8, else the bytes. */
export type FsPath = string | Buffer;

/**
 * Readable, deterministic form of any byte string: valid UTF-8 sequences as they are, every
 * other byte and every backslash as `\xHH`. Used as `path` when the bytes are not UTF-8, so it
 * is unique per byte string and keeps the `/` separators where the bytes have them.
 */
export function displayPath(bytes: Uint8Array): string {
  if (isUtf8(bytes)) return Buffer.from(bytes).toString('utf8');
  const b = Buffer.from(bytes);
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (c === 0x5c) {
      out += '\\x5c';
      i++;
    } else if (len > 0 && i + len <= b.length && isUtf8(b.subarray(i, i + len))) {
      out += b.toString('utf8', i, i + len);
      i += len;
    } else {
      out += `\\x${c.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** The tree fields for a relative path's bytes: `rawPath` only when they are not UTF-8. */
export function pathFields(bytes: Buffer): { path: string; rawPath?: string } {
  return isUtf8(bytes) ? { path: bytes.toString('utf8') } : { path: displayPath(bytes), rawPath: bytes.toString('base64') };
}

/** The exact bytes of an entry's relative path. */
export function pathBytes(e: { path: string; rawPath?: string }): Buffer {
  return e.rawPath !== undefined ? Buffer.from(e.rawPath, 'base64') : Buffer.from(e.path, 'utf8');
}

/** `base/rel` for fs calls: a string for UTF-8 names (the common, cheap case), else a Buffer. */
export function joinFs(base: FsPath, e: { path: string; rawPath?: string }): FsPath {
  if (e.rawPath === undefined && typeof base === 'string') return `${base.endsWith('/') ? base.slice(0, -1) : base}/${e.path}`;
  const b = typeof base === 'string' ? Buffer.from(base, 'utf8') : base;
  const sep = b.length && b[b.length - 1] === 0x2f ? Buffer.alloc(0) : Buffer.from('/');
  return Buffer.concat([b, sep, pathBytes(e)]);
}

/** For messages: any path, readable. */
export function showPath(p: FsPath | Uint8Array): string {
  return typeof p === 'string' ? p : displayPath(p);
}

/** A key unique per path bytes (a NUL never occurs in a path, so the two forms cannot meet). */
export function entryKey(e: { path: string; rawPath?: string }): string {
  return e.rawPath !== undefined ? `\0${e.rawPath}` : e.path;
}
