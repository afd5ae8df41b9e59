import { BadInputError } from '../../common/errors';
import type { Repository } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';
import type { TreeEntry } from '../repo/tree';
import { PathSelection } from './path-selection';
import { RestorePathCheck } from './safe-paths';

/** Where a restore plan puts the entries it keeps (batch work lists, folders, the plan's other entries). */
export interface RestoreSink {
  add(e: TreeEntry): Promise<void>;
}

const nothingMatches = (snapshotId: string, paths: string[]) => new BadInputError(`paths: nothing in snapshot ${snapshotId} matches ${paths.join(', ')}`);

/**
 * Hand the entries of a snapshot a restore keeps to a sink, in tree order, reading the tree once
 * blob by blob: each entry's path is checked (safe-paths.ts) before the sink sees it, and a
 * `paths` filter keeps its matches with the folders that hold them. A refusal can thus come after
 * the sink has taken entries: the caller discards what its sink wrote. A tree out of tree order
 * (not written by a scan) is walked again the slow way with a fresh sink from `start`: a keyed
 * check and a first pass noting the folders the filter needs. Returns the sink that took every entry.
 */
export async function walkRestoreTree<S extends RestoreSink>(
  repo: Pick<Repository, 'treeBlobs'>,
  m: Pick<SnapshotManifest, 'id' | 'tree'>,
  paths: string[] | undefined,
  start: () => S,
): Promise<S> {
  const sink = start();
  const check = new RestorePathCheck(m.id);
  const sel = paths?.length ? new PathSelection(paths) : undefined;
  for await (const entries of repo.treeBlobs(m))
    for (const e of entries) {
      check.add(e);
      if (!check.ordered) return walkUnordered(repo, m, paths, start());
      if (!sel) await sink.add(e);
      else for (const k of sel.take(e)) await sink.add(k);
    }
  if (sel && !sel.matched) throw nothingMatches(m.id, paths ?? []);
  return sink;
}

async function walkUnordered<S extends RestoreSink>(
  repo: Pick<Repository, 'treeBlobs'>,
  m: Pick<SnapshotManifest, 'id' | 'tree'>,
  paths: string[] | undefined,
  sink: S,
): Promise<S> {
  const check = new RestorePathCheck(m.id, true);
  const sel = paths?.length ? new PathSelection(paths) : undefined;
  for await (const entries of repo.treeBlobs(m))
    for (const e of entries) {
      check.add(e);
      sel?.note(e);
    }
  if (sel && !sel.matched) throw nothingMatches(m.id, paths ?? []);
  for await (const entries of repo.treeBlobs(m)) for (const e of entries) if (!sel || sel.selects(e)) await sink.add(e);
  return sink;
}
