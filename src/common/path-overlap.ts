import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute, normalised, with symlinks resolved as far as the path exists ("..", "." and a
 * symlinked parent cannot hide where a path really is). The missing tail is appended as is.
 */
export function realPath(p: string, base = process.cwd()): string {
  let head = path.resolve(base, p);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(head), ...tail.reverse());
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return path.join(head, ...tail.reverse());
      tail.push(path.basename(head));
      head = parent;
    }
  }
}

/** `inner` is `outer` or lies below it (both already real paths). */
export function isWithin(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** How two real paths relate: the same folder, one inside the other, or apart. */
export function overlap(a: string, b: string): 'same' | 'contains' | 'inside' | undefined {
  if (a === b) return 'same';
  if (isWithin(b, a)) return 'contains';
  if (isWithin(a, b)) return 'inside';
  return undefined;
}

/** The folder of a file:// repository url (undefined for s3://). */
export function repositoryFolder(url: string): string | undefined {
  return url.startsWith('file://') ? fileURLToPath(url) : undefined;
}

/** A named path of the plan, for overlap checks and their messages. */
export interface NamedPath {
  field: string;
  path: string;
}

const VERB = { same: 'is the same folder as', contains: 'contains', inside: 'lies inside' } as const;

/** "drill.targetDir (/srv) contains primary.restore.0.targetDir (/srv/models)" for the first clash of `p` with `others`, if any. */
export function clash(p: NamedPath, others: readonly NamedPath[]): string | undefined {
  for (const o of others) {
    const rel = overlap(p.path, o.path);
    if (rel) return `${p.field} (${p.path}) ${VERB[rel]} ${o.field} (${o.path})`;
  }
  return undefined;
}
