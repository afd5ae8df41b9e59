import { IntegrityError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import type { PackUploader } from '../backup/pack-uploader';
import { TreeWriter } from '../backup/write-tree';
import type { ChunkIndex } from '../repo/chunk-index';
import { packKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';
import type { TreeEntry } from '../repo/tree';
import { copyRanges, type CopyRange } from './copy-ranges';

/** merged source reads in flight (each at most 16 MiB) */
const RANGES_IN_FLIGHT = 4;
/** chunk references gathered from the source tree before their blobs move */
export const WINDOW_CHUNKS = 8192;

export interface CopyProgress {
  snapshot: string;
  /** source tree blobs read, of treeBlobsTotal */
  treeBlobsDone: number;
  treeBlobsTotal: number;
  /** data blobs written at the destination */
  blobsCopied: number;
  bytesUploaded: number;
}

export interface TreeCopierOptions {
  /** source blobs opened and re-sealed at once (destination with another codec) */
  group: number;
  windowChunks: number;
  onProgress?: (p: CopyProgress) => void;
}

interface MovedBlob {
  id: string;
  stored: Buffer;
  rawLength?: number;
}

/** Blob ids of the two repositories agree when both are plain (SHA-256) or share the master key. */
const sameIds = (a: Repository, b: Repository): boolean => a.codec.encrypted === b.codec.encrypted && a.codec.idKeyHex === b.codec.idKeyHex;

/** A 52-bit prefix of a blob id, exact in a double: counts distinct blobs in about a quarter of the memory of the ids. */
const idPrefix = (id: string): number => parseInt(id.slice(0, 13), 16);

/**
 * Moves one snapshot's data blobs and tree from `src` into `up` (the destination), one window
 * of the source tree at a time: a window's chunks go first, then its entries to the tree writer,
 * so memory holds a window of entries, not the tree. With the same blob codec, stored bytes move
 * as they are after a check against their id (merged ranged reads); otherwise each blob is
 * opened, re-identified and sealed the destination's way, and the entries get the new ids.
 */
export class TreeCopier {
  private readonly same: boolean;
  /** source id -> destination id, another codec only: a chunk named again needs no second read */
  private readonly renamed = new Map<string, string>();
  private readonly seen = new Set<number>();
  private treeBlobsDone = 0;
  blobsCopied = 0;

  constructor(
    private readonly src: Repository,
    private readonly srcIndex: ChunkIndex,
    private readonly dst: Repository,
    private readonly up: PackUploader,
    private readonly m: SnapshotManifest,
    private readonly o: TreeCopierOptions,
  ) {
    this.same = sameIds(src, dst);
  }

  /** distinct data blobs the snapshot names */
  get blobs(): number {
    return this.seen.size;
  }

  /** Copy every window, then seal the tree and wait for every pack; returns the destination's tree blob ids. */
  async copy(): Promise<string[]> {
    const tree = new TreeWriter(this.dst, this.up);
    let window: TreeEntry[][] = [];
    let refs = 0;
    for await (const entries of this.src.treeBlobs(this.m)) {
      this.treeBlobsDone++;
      window.push(entries);
      for (const e of entries) if (e.type === 'file') refs += e.chunks.length;
      if (refs < this.o.windowChunks) continue;
      await this.copyWindow(window, tree);
      window = [];
      refs = 0;
    }
    await this.copyWindow(window, tree);
    return tree.finish();
  }

  private async copyWindow(window: TreeEntry[][], tree: TreeWriter): Promise<void> {
    const chunks = new Set<string>();
    for (const entries of window) for (const e of entries) if (e.type === 'file') for (const c of e.chunks) chunks.add(c);
    for (const c of chunks) this.seen.add(idPrefix(c));
    if (this.same) await this.moveStored([...chunks].filter((c) => !this.up.known(c)));
    else await this.moveResealed([...chunks].filter((c) => !this.renamed.has(c)));
    for (const entries of window)
      for (const e of entries) await tree.add(this.same || e.type !== 'file' ? e : { ...e, chunks: e.chunks.map((c) => this.renamed.get(c) ?? c) });
    this.report();
  }

  private async moveStored(todo: string[]): Promise<void> {
    const ranges = copyRanges(todo.map((c) => ({ id: c, loc: this.locate(c) })));
    for (let at = 0; at < ranges.length; at += RANGES_IN_FLIGHT) {
      const fetched = await mapLimit(ranges.slice(at, at + RANGES_IN_FLIGHT), RANGES_IN_FLIGHT, (r) => this.readRange(r));
      // added in order: the pack builder is not re-entrant
      for (const list of fetched) for (const b of list) await this.add(b);
    }
  }

  private async readRange(r: CopyRange): Promise<MovedBlob[]> {
    const data = await this.src.store.get(packKey(r.pack), { start: r.start, length: r.length });
    return r.blobs.map((b) => {
      const stored = data.subarray(b.loc.offset - r.start, b.loc.offset - r.start + b.loc.length);
      this.src.checkBlob(b.id, stored, `snapshot ${this.m.id}: chunk ${b.id.slice(0, 12)} in source pack ${r.pack.slice(0, 12)}`, b.loc.rawLength);
      return { id: b.id, stored: Buffer.from(stored), rawLength: b.loc.rawLength };
    });
  }

  private async moveResealed(todo: string[]): Promise<void> {
    for (let at = 0; at < todo.length; at += this.o.group) {
      const fetched = await mapLimit(todo.slice(at, at + this.o.group), this.o.group, async (c): Promise<MovedBlob | undefined> => {
        const plain = await this.src.readBlob(c, this.locate(c), `snapshot ${this.m.id}`);
        const to = this.dst.codec.id(plain);
        this.renamed.set(c, to);
        if (this.up.known(to)) return undefined;
        const sealed = await this.dst.sealBlob(plain);
        return { id: to, stored: sealed.stored, rawLength: sealed.rawLength };
      });
      for (const b of fetched) if (b) await this.add(b);
    }
  }

  private locate(c: string) {
    const loc = this.srcIndex.get(c);
    if (!loc) throw new IntegrityError(`snapshot ${this.m.id}: chunk ${c.slice(0, 12)} is not in the source index`);
    return loc;
  }

  private async add(b: MovedBlob): Promise<void> {
    this.blobsCopied++;
    if (this.up.add(b.id, 'data', b.stored, b.rawLength)) await this.up.flush(() => this.report());
  }

  private report(): void {
    this.o.onProgress?.({
      snapshot: this.m.id,
      treeBlobsDone: this.treeBlobsDone,
      treeBlobsTotal: this.m.tree.length,
      blobsCopied: this.blobsCopied,
      bytesUploaded: this.up.bytesUploaded,
    });
  }
}
