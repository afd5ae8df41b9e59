import type { Repository } from '../repo/repository';
import { encodeTreeBlobs, type TreeEntry } from '../repo/tree';
import type { PackUploader } from './pack-uploader';

/** Seal a snapshot's tree blobs into `up` and wait until every pack is stored; returns the tree blob ids in order. */
export async function writeTreeBlobs(repo: Repository, up: PackUploader, entries: TreeEntry[]): Promise<string[]> {
  const treeIds: string[] = [];
  for (const blob of encodeTreeBlobs(entries)) {
    const id = repo.codec.id(blob);
    treeIds.push(id);
    // most blobs of a snapshot with a parent are the parent's: nothing to seal
    if (up.known(id)) continue;
    const sealed = await repo.sealBlob(blob);
    if (up.add(id, 'tree', sealed.stored, sealed.rawLength)) await up.flush();
  }
  await up.flush();
  await up.drain();
  return treeIds;
}
