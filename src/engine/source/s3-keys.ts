/**
 * Object keys as paths: "/" separates folders. A key is refused (with the reason) when a
 * restore could not write it inside the target as the same path: ".." or "." segments, empty
 * segments ("a//b", "/a"), or a NUL byte. A key ending in "/" is a folder marker.
 */
export type KeyPath = { path: string; folder: boolean } | { refused: string };

export function keyToPath(rel: string): KeyPath {
  const folder = rel.endsWith('/');
  const body = folder ? rel.slice(0, -1) : rel;
  if (body === '') return { refused: 'an empty name' };
  if (body.includes('\0')) return { refused: 'a NUL byte' };
  for (const seg of body.split('/')) {
    if (seg === '..') return { refused: 'a ".." segment, which would escape the restore target' };
    if (seg === '.') return { refused: 'a "." segment' };
    if (seg === '') return { refused: 'an empty segment ("//" or a leading "/")' };
  }
  return { path: body, folder };
}

/** Every folder that holds `p`, outermost first: "a/b/c" -> ["a", "a/b"]. */
export function parentsOf(p: string): string[] {
  const parts = p.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}
