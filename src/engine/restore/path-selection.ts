import picomatch from 'picomatch';
import type { TreeEntry } from '../repo/tree';

/**
 * What a restore's `paths` filter keeps (prefixes or globs), with the folders that hold kept
 * entries. Two passes over the tree: `note` every entry first (it remembers the folders
 * needed, not the entries), then ask `selects` of each.
 */
export class PathSelection {
  private readonly norm: string[];
  private readonly glob: (p: string) => boolean;
  private readonly need = new Set<string>();
  /** something other than a folder named by a prefix matched */
  matched = false;

  constructor(private readonly paths: string[]) {
    this.norm = paths.map((p) => p.replace(/^\.?\/+/, '').replace(/\/+$/, ''));
    this.glob = picomatch(this.norm, { dot: true });
  }

  private keeps(p: string): boolean {
    return this.norm.some((n) => p === n || p.startsWith(`${n}/`)) || this.glob(p);
  }

  note(e: TreeEntry): void {
    if (!this.keeps(e.path)) return;
    if (e.type !== 'dir' || this.paths.includes(e.path)) this.matched = true;
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) this.need.add(parts.slice(0, i).join('/'));
  }

  selects(e: TreeEntry): boolean {
    return this.keeps(e.path) || (e.type === 'dir' && this.need.has(e.path));
  }
}
