import { z } from 'zod';
import { NotFoundError } from '../../common/errors';
import { mapLimit } from '../../common/map-limit';
import { PRUNE_MARK_PREFIX, pruneMarkKey } from '../repo/layout';
import type { BlobStore } from '../store/blob-store';

/**
 * Prune's marks: `prune/marks/<pack>` says "no snapshot or backup needed this pack when it was
 * marked; it may be deleted from `deleteAfter` on". Marks written before `deleteAfter` existed
 * carry only `markedAt`; they count from it with the grace of the run reading them.
 */
const MarkSchema = z.object({ v: z.literal(1), markedAt: z.string().datetime(), deleteAfter: z.string().datetime().optional() });

export interface PackMark {
  markedAt: number;
  /** earliest time any prune may delete the pack */
  deleteAfter?: number;
}

/** Every mark; marks removed while listing are skipped, unreadable ones count as marked now (the safe side for backups). */
export async function readMarks(store: BlobStore, now: number): Promise<Map<string, PackMark>> {
  const marks = new Map<string, PackMark>();
  await mapLimit(await store.list(PRUNE_MARK_PREFIX), 16, async (o) => {
    const pack = o.key.slice(PRUNE_MARK_PREFIX.length);
    let raw: Buffer;
    try {
      raw = await store.get(o.key);
    } catch (e) {
      if (e instanceof NotFoundError) return;
      throw e;
    }
    let parsed: z.infer<typeof MarkSchema> | undefined;
    try {
      parsed = MarkSchema.parse(JSON.parse(raw.toString('utf8')));
    } catch {
      parsed = undefined;
    }
    if (!parsed) marks.set(pack, { markedAt: now });
    else marks.set(pack, { markedAt: Date.parse(parsed.markedAt), ...(parsed.deleteAfter ? { deleteAfter: Date.parse(parsed.deleteAfter) } : {}) });
  });
  return marks;
}

export async function writeMark(store: BlobStore, pack: string, markedAt: number, graceMs: number): Promise<void> {
  const body = { v: 1, markedAt: new Date(markedAt).toISOString(), deleteAfter: new Date(markedAt + graceMs).toISOString() };
  await store.put(pruneMarkKey(pack), Buffer.from(JSON.stringify(body)));
}

export const removeMark = (store: BlobStore, pack: string): Promise<void> => store.delete(pruneMarkKey(pack));
