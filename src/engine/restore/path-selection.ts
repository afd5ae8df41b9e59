import picomatch from 'picomatch';
import type { TreeEntry } from '../repo/tree';

/**
 * What a restore's `paths` filter keeps (prefixes or globs), with the folders that hold kept
 * entries. A tree in tree order (a folder right before its content) is filtered in one pass by
 * `take`, which holds back only the folders above the current entry until something below them
 * is kept. A tree in any other order takes two passes: `note` every entry first (it remembers
 * the folders needed, not the entries), then ask `selects` of each.
 */
export class PathSelection {
  private readonly norm: string[];
  private readonly glob: (p: string) => boolean;
  private readonly need = new Set<string>();
  /** folders not yet kept, each above the next: the ancestors of the entry `take` saw last */
  private held: TreeEntry[] = [];
  /** something other than a folder named by a prefix matched */
  matched = false;

  constructor(private readonly paths: string[]) {
    this.norm = paths.map((p) => p.replace(/^\.?\/+/, '').replace(/\/+$/, ''));
    this.glob = picomatch(this.norm, { dot: true });
  }

  private kept(p: string): boolean {
    return this.norm.some((n) => p === n || p.startsWith(`${n}/`)) || this.glob(p);
  }

  /** `kept`, noting a match */
  private keeps(e: TreeEntry): boolean {
    const kept = this.kept(e.path);
    if (kept && (e.type !== 'dir' || !this.paths.includes(e.path))) this.matched = true;
    return kept;
  }

  /** The entries to keep now, in tree order: `e` if kept, after the held folders above it. Give every entry in tree order. */
  take(e: TreeEntry): TreeEntry[] {
    while (this.held.length && !e.path.startsWith(`${this.held[this.held.length - 1].path}/`)) this.held.pop();
    if (this.keeps(e)) {
      const out = [...this.held, e];
      this.held = [];
      return out;
    }
    if (e.type === 'dir') this.held.push(e);
    return [];
  }

  note(e: TreeEntry): void {
    if (!this.keeps(e)) return;
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) this.need.add(parts.slice(0, i).join('/'));
  }

  selects(e: TreeEntry): boolean {
    return this.kept(e.path) || (e.type === 'dir' && this.need.has(e.path));
  }
}
