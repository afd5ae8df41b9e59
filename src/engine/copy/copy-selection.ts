import type { Repository } from '../repo/repository';

/** Which snapshots a copy moves: named ids (or unique prefixes), the newest per asset, or every one the destination lacks. */
export type CopySelection = { ids: string[] } | { latest: true; asset?: string } | { allMissing: true; asset?: string };

/** Full snapshot ids in `src` for a selection, oldest first for `latest`/`allMissing`, given order for ids. */
export async function selectForCopy(src: Repository, dst: Repository, sel: CopySelection): Promise<string[]> {
  if ('ids' in sel) {
    const out: string[] = [];
    for (const id of sel.ids) out.push((await src.resolveSnapshot(undefined, { id })).id);
    return [...new Set(out)];
  }
  const all = await src.listSnapshots(sel.asset ? { asset: sel.asset } : {});
  if ('latest' in sel) {
    const newest = new Map<string, string>();
    for (const s of all) newest.set(s.asset, s.id);
    return [...newest.values()];
  }
  const there = new Set(await dst.listSnapshotIds());
  return all.filter((s) => !there.has(s.id)).map((s) => s.id);
}
