import { errorMessage, NotFoundError } from '../../common/errors';
import { BackupPlanSchema, BatchResultSchema, PartialSchema, PlanPageSchema, type PlanEntry } from '../backup/work-plan';
import { BACKUP_TMP_PREFIX, snapshotKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { unverifiedBody } from '../repo/signed-doc';
import type { SnapshotManifest } from '../repo/snapshot';

export interface ReferenceSet {
  /** every blob id something still needs */
  refs: Set<string>;
  snapshots: number;
  /** snapshots whose manifest does not verify: their data is kept, and they are reported */
  invalid: string[];
  /** set when some references could not be read: nothing may be deleted in this run */
  blocked?: string;
}

const get = async (repo: Repository, key: string): Promise<Buffer | undefined> => {
  try {
    return await repo.store.get(key);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
};

/** Chunks named by backups in progress: their plans, batch results and partials. */
async function workListRefs(repo: Repository, refs: Set<string>): Promise<void> {
  for (const o of await repo.store.list(BACKUP_TMP_PREFIX)) {
    // gone while listing: that backup committed (its snapshot is listed after this) or was abandoned
    const raw = await get(repo, o.key);
    if (!raw) continue;
    let body: unknown;
    try {
      body = unverifiedBody(raw);
    } catch {
      continue;
    }
    const reused = (entries: PlanEntry[]) => entries.forEach((e) => e.type === 'file' && 'chunks' in e && e.chunks.forEach((c) => refs.add(c)));
    if (o.key.endsWith('/plan.json')) {
      const p = BackupPlanSchema.safeParse(body);
      if (p.success && p.data.v === 1) reused(p.data.entries);
    } else if (/\/entries-\d+\.json$/.test(o.key)) {
      // a paged plan's entries: the unchanged files' chunks it reuses from the parent
      const p = PlanPageSchema.safeParse(body);
      if (p.success) reused(p.data.entries);
    } else if (/\/(result|partial)-\d+\.json$/.test(o.key)) {
      const r = BatchResultSchema.safeParse(body);
      const p = PartialSchema.safeParse(body);
      const lists = r.success ? r.data.chunks : p.success ? p.data.chunks : [];
      for (const l of lists) l.forEach((c) => refs.add(c));
    }
  }
}

/** The tree ids of a manifest whose signature failed, read without trusting it (only to keep more). */
function unverifiedTree(raw: Buffer): string[] | undefined {
  try {
    const env = JSON.parse(raw.toString('utf8')) as { body?: unknown };
    const m = typeof env.body === 'string' ? (JSON.parse(env.body) as { tree?: unknown }) : undefined;
    const tree = m?.tree;
    return Array.isArray(tree) && tree.every((t) => typeof t === 'string' && /^[0-9a-f]{64}$/.test(t)) ? (tree as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What prune must keep. Work lists are read BEFORE snapshots are listed: a backup writes its
 * snapshot before it deletes its work list, so one that commits meanwhile is seen in one or
 * the other. A snapshot that fails its signature keeps its data (the safe side) and is
 * reported; one whose tree cannot be read at all blocks deletion for this run.
 */
export async function collectReferences(repo: Repository, onSnapshot?: (done: number, total: number) => void): Promise<ReferenceSet> {
  const refs = new Set<string>();
  await workListRefs(repo, refs);
  const ids = await repo.listSnapshotIds();
  const out: ReferenceSet = { refs, snapshots: 0, invalid: [] };
  const blockers: string[] = [];
  let done = 0;
  for (const id of ids) {
    onSnapshot?.(done++, ids.length);
    let m: Pick<SnapshotManifest, 'id' | 'tree'>;
    try {
      m = await repo.loadSnapshot(id);
    } catch (e) {
      if (e instanceof NotFoundError) continue;
      const raw = await get(repo, snapshotKey(id));
      const tree = raw && unverifiedTree(raw);
      out.invalid.push(`${id}: ${errorMessage(e)}`);
      if (!tree) {
        blockers.push(`snapshot ${id} cannot be read (${errorMessage(e)})`);
        continue;
      }
      m = { id, tree };
    }
    out.snapshots++;
    m.tree.forEach((t) => refs.add(t));
    try {
      for await (const entries of repo.treeBlobs(m)) for (const e of entries) if (e.type === 'file') e.chunks.forEach((c) => refs.add(c));
    } catch (e) {
      blockers.push(`snapshot ${id}: tree cannot be read (${errorMessage(e)})`);
    }
  }
  if (blockers.length)
    out.blocked = `${blockers.slice(0, 5).join('; ')}${blockers.length > 5 ? ` (and ${blockers.length - 5} more)` : ''}: nothing is deleted until they are repaired or forgotten`;
  return out;
}
