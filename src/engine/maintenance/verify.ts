import { mapLimit } from '../../common/map-limit';
import { DATA_PREFIX, packIdOf, packKey } from '../repo/layout';
import { readPackHeader, sha256hex } from '../repo/pack';
import type { Repository } from '../repo/repository';

export interface VerifyOptions {
  /** fraction of packs whose bytes are downloaded and checked (0 = structure only, 1 = all) */
  readData: number;
  onProgress?: (p: { phase: string; done: number; total: number }) => void;
}

export interface VerifyReport {
  snapshots: number;
  packs: number;
  packsRead: number;
  bytesRead: number;
  errors: string[];
}

/** Deterministic sample: packs whose id falls in the first `fraction` of the hash space. */
const sampled = (pack: string, fraction: number) => fraction >= 1 || parseInt(pack.slice(0, 8), 16) / 0x100000000 < fraction;

/**
 * Structure check (every snapshot's signature, every blob it references indexed, every indexed
 * pack present) and a read-data check of a deterministic fraction of the packs.
 */
export async function verifyRepository(repo: Repository, o: VerifyOptions): Promise<VerifyReport> {
  const errors: string[] = [];
  const snapshots = await repo.listSnapshots({}, (id, err) => errors.push(`snapshot ${id}: ${err.message}`));
  const index = await repo.loadIndex(true);
  const stored = new Map((await repo.store.list(DATA_PREFIX)).map((x) => [packIdOf(x.key), x.size]));
  for (const pack of index.packs) if (!stored.has(pack)) errors.push(`pack ${pack} is indexed but missing from the store`);
  // what the index says about each pack, duplicates included: restore reads exactly these ranges
  const indexed = new Map<string, { id: string; offset: number; length: number; rawLength?: number }[]>();
  for (const [id, loc] of index.allEntries()) {
    const l = indexed.get(loc.pack) ?? [];
    l.push({ id, offset: loc.offset, length: loc.length, rawLength: loc.rawLength });
    indexed.set(loc.pack, l);
    const size = stored.get(loc.pack);
    if (size !== undefined && loc.offset + loc.length > size)
      errors.push(`index: blob ${id} lies beyond the end of pack ${loc.pack} (${loc.offset}+${loc.length} > ${size})`);
  }
  let done = 0;
  for (const s of snapshots) {
    o.onProgress?.({ phase: 'structure', done: done++, total: snapshots.length });
    try {
      for await (const entries of repo.treeBlobs(s))
        for (const e of entries) {
          if (e.type !== 'file') continue;
          const missing = e.chunks.filter((c) => !index.has(c));
          if (missing.length) errors.push(`snapshot ${s.id}: file "${e.path}" references ${missing.length} chunk(s) missing from the index`);
        }
    } catch (err) {
      errors.push(`snapshot ${s.id}: ${(err as Error).message}`);
    }
  }
  const toRead = [...new Set([...index.packs, ...indexed.keys()])].filter((p) => stored.has(p) && sampled(p, o.readData));
  let bytesRead = 0;
  let readDone = 0;
  await mapLimit(toRead, 4, async (pack) => {
    const body = await repo.store.get(packKey(pack));
    bytesRead += body.length;
    if (sha256hex(body) !== pack) errors.push(`pack ${pack}: content does not match its name (corrupt)`);
    try {
      for (const b of readPackHeader(body, pack)) {
        try {
          repo.checkBlob(b.id, body.subarray(b.offset, b.offset + b.length), `pack ${pack}: blob ${b.id}`, b.rawLength);
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    } catch (err) {
      errors.push((err as Error).message);
    }
    for (const e of indexed.get(pack) ?? []) {
      try {
        const raw = e.rawLength === undefined ? '' : `, compressed from ${e.rawLength}`;
        repo.checkBlob(
          e.id,
          body.subarray(e.offset, e.offset + e.length),
          `index entry for blob ${e.id} (pack ${pack}, offset ${e.offset}, length ${e.length}${raw})`,
          e.rawLength,
        );
      } catch (err) {
        errors.push(`${(err as Error).message}: the index disagrees with the pack`);
      }
    }
    o.onProgress?.({ phase: 'read-data', done: ++readDone, total: toRead.length });
  });
  return { snapshots: snapshots.length, packs: index.packs.size, packsRead: toRead.length, bytesRead, errors };
}
