import { endsTreeBlob, TreeBlobSplitter, type TreeBlobText, type TreeEntry } from '../repo/tree';
import { cmpTreeEntry } from '../source/tree-order';
import type { ParentTreeBlob } from './parent-cursor';

/** Entries [first, first + count) of a plan encode to exactly the parent's tree blob `id`: the commit keeps the id. */
export type TreeBlobReuse = [first: number, count: number, id: string];

type At = { path: string; rawPath?: string };

/**
 * Predicts, while the plan step walks the scan, the tree blobs the commit will write
 * (TreeBlobSplitter's rule on the same entries), and finds those whose JSON text is exactly a
 * parent blob's: the commit then neither encodes, hashes nor seals them (a no-change backup
 * re-encoded its whole tree). Only an entry known now counts: a file a batch reads is `unknown`
 * and makes its blob unknown up to the next entry that ends a blob whatever precedes it
 * (endsTreeBlob), so a file that changed is never inside a reused blob. A parent blob stored in
 * an older format (no `text`) is never reused: its id is not what encoding gives.
 */
export class TreeReusePlanner {
  readonly reuse: TreeBlobReuse[] = [];
  private split: TreeBlobSplitter;
  /** the current blob holds an entry not known until the commit */
  private unknown = false;
  /** index and path of the current blob's first entry */
  private first = 0;
  private head: At = { path: '' };
  /** the parent's blobs read and not yet passed, in tree order */
  private readonly parents: { id: string; text: string; first: TreeEntry; last: TreeEntry }[] = [];

  constructor(private readonly maxBytes?: number) {
    this.split = new TreeBlobSplitter(maxBytes);
  }

  /** A parent blob as the parent cursor reads it. */
  offer(blob: ParentTreeBlob): void {
    const { id, text, entries } = blob;
    if (text !== undefined && entries.length) this.parents.push({ id, text, first: entries[0], last: entries[entries.length - 1] });
  }

  /** The plan's entry `i` at `at`, as its tree entry when known now, `undefined` when a batch's result decides it. */
  add(i: number, at: At, e: TreeEntry | undefined): void {
    if (this.unknown) {
      if (endsTreeBlob(at.path)) {
        this.unknown = false;
        this.drop(at);
      }
      return;
    }
    if (e === undefined) {
      this.split = new TreeBlobSplitter(this.maxBytes);
      this.unknown = !endsTreeBlob(at.path);
      return;
    }
    if (this.split.empty) {
      this.first = i;
      this.head = at;
    }
    const done = this.split.add(JSON.stringify(e), at.path);
    for (const b of done) {
      this.match(b);
      this.head = at;
    }
  }

  /** The tree's last blob. */
  finish(): void {
    if (!this.unknown && !this.split.empty) this.match(this.split.take());
  }

  private match(b: TreeBlobText): void {
    this.drop(this.head);
    const p = this.parents[0];
    if (p && p.text === b.text && cmpTreeEntry(p.first, this.head) === 0) this.reuse.push([this.first, b.entries, p.id]);
    this.first += b.entries;
  }

  /** Forget the parent blobs wholly before `at`: no later blob can start in them. */
  private drop(at: At): void {
    while (this.parents.length && cmpTreeEntry(this.parents[0].last, at) < 0) this.parents.shift();
  }
}
