import { z } from 'zod';
import type { SideName } from './site-schema';

/** The part of a blob store the traffic record needs (the repository's store in production). */
export interface RecordStore {
  put(key: string, body: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  head(key: string): Promise<unknown>;
}

const TrafficRecordSchema = z.object({ side: z.enum(['primary', 'standby']), at: z.string(), by: z.string() }).strict();
export type TrafficRecord = z.infer<typeof TrafficRecordSchema>;

export const trafficRecordKey = (site: string): string => `reports/failover/sites/${site}/traffic.json`;

/**
 * Which side a site's traffic is on, as last moved by lepton-dr. Written after every successful
 * switch (forward and back, so a compensation updates it too); read when the switcher cannot
 * tell (an HTTP switcher without `status` reads "unknown"). What the switcher reports always wins.
 */
export class TrafficRecords {
  constructor(private readonly store: RecordStore) {}

  async write(site: string, side: SideName, by: string, at = new Date().toISOString()): Promise<void> {
    const body: TrafficRecord = { side, at, by };
    await this.store.put(trafficRecordKey(site), Buffer.from(`${JSON.stringify(body)}\n`));
  }

  async read(site: string): Promise<TrafficRecord | undefined> {
    const key = trafficRecordKey(site);
    if (!(await this.store.head(key))) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse((await this.store.get(key)).toString('utf8'));
    } catch {
      return undefined;
    }
    const r = TrafficRecordSchema.safeParse(raw);
    return r.success ? r.data : undefined;
  }

  /** The switcher's answer, or the record when the switcher says "unknown". */
  async resolve(site: string, reported: SideName | 'unknown'): Promise<{ side: SideName | 'unknown'; from: 'switcher' | 'record' | 'none' }> {
    if (reported !== 'unknown') return { side: reported, from: 'switcher' };
    const rec = await this.read(site);
    return rec ? { side: rec.side, from: 'record' } : { side: 'unknown', from: 'none' };
  }
}
