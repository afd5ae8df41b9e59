import { BackupPlanSchema, BatchResultSchema, decodeJson, PartialSchema } from '../backup/work-plan';
import type { Repository } from '../repo/repository';
import type { SnapshotManifest } from '../repo/snapshot';

/**
 * Every blob id something still needs: the trees and file chunks of every valid snapshot, plus
 * chunks named by backups still in progress (their work plans, batch results and partials),
 * so maintenance never removes data a running backup is about to reference.
 */
export async function referencedBlobs(repo: Repository, snapshots: SnapshotManifest[]): Promise<Set<string>> {
  const refs = new Set<string>();
  for (const s of snapshots) {
    s.tree.forEach((t) => refs.add(t));
    for (const e of await repo.loadTree(s)) if (e.type === 'file') e.chunks.forEach((c) => refs.add(c));
  }
  for (const o of await repo.store.list('tmp/backups/')) {
    const raw = decodeJson(await repo.store.get(o.key));
    if (o.key.endsWith('/plan.json')) {
      const p = BackupPlanSchema.safeParse(raw);
      if (p.success) for (const e of p.data.entries) if (e.type === 'file' && 'chunks' in e) e.chunks.forEach((c) => refs.add(c));
    } else if (/\/(result|partial)-\d+\.json$/.test(o.key)) {
      const r = BatchResultSchema.safeParse(raw);
      const p = PartialSchema.safeParse(raw);
      const lists = r.success ? r.data.chunks : p.success ? p.data.chunks : [];
      for (const l of lists) l.forEach((c) => refs.add(c));
    }
  }
  return refs;
}
