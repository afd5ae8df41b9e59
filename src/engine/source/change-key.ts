import type { FileEntry, TreeEntry } from '../repo/tree';

/** The fields a source sets to tell a file's content changed: inode/ctime locally, ETag for S3. */
export interface ChangeKey {
  size: number;
  mtimeNs: string;
  ino?: number;
  ctimeNs?: string;
  etag?: string;
}

/** The parent's entry has the same change key: its chunks are reused, the content is not read. */
export function unchanged(prev: TreeEntry | undefined, cur: ChangeKey): prev is FileEntry {
  return (
    prev?.type === 'file' &&
    prev.size === cur.size &&
    prev.mtimeNs === cur.mtimeNs &&
    prev.ino === cur.ino &&
    prev.ctimeNs === cur.ctimeNs &&
    prev.etag === cur.etag
  );
}
