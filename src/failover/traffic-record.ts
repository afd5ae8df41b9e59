import { z } from 'zod';
import { trafficRecordKey } from '../engine/repo/layout';
import type { SideName } from './site-schema';

/**
 * Where the record lives: the repository's signed documents in production (a bucket writer
 * without the repository key cannot forge the side; a forged record fails the read, it is
 * never taken as "unknown").
 */
export interface RecordStore {
  writeJson(key: string, value: unknown): Promise<void>;
  /** undefined when there is none; throws when it is there but not valid */
  readJson(key: string): Promise<unknown>;
}

const TrafficRecordSchema = z.object({ side: z.enum(['primary', 'standby']), at: z.string(), by: z.string() }).strict();
export type TrafficRecord = z.infer<typeof TrafficRecordSchema>;

/**
 * Which side a site's traffic is on, as last moved by lepton-dr. Written after every successful
 * switch (forward and back, so a compensation updates it too); read when the switcher cannot
 * tell (an HTTP switcher without `status` reads "unknown"). What the switcher reports always wins.
 */
export class TrafficRecords {
  constructor(private readonly store: RecordStore) {}

  async write(site: string, side: SideName, by: string, at = new Date().toISOString()): Promise<void> {
    const body: TrafficRecord = { side, at, by };
    await this.store.writeJson(trafficRecordKey(site), body);
  }

  async read(site: string): Promise<TrafficRecord | undefined> {
    const raw = await this.store.readJson(trafficRecordKey(site));
    if (raw === undefined) return undefined;
    return TrafficRecordSchema.parse(raw);
  }

  /** The switcher's answer, or the record when the switcher says "unknown". */
  async resolve(site: string, reported: SideName | 'unknown'): Promise<{ side: SideName | 'unknown'; from: 'switcher' | 'record' | 'none' }> {
    if (reported !== 'unknown') return { side: reported, from: 'switcher' };
    const rec = await this.read(site);
    return rec ? { side: rec.side, from: 'record' } : { side: 'unknown', from: 'none' };
  }
}
