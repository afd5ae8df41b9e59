import type { Retention } from '../config/plan-schema';
import type { SnapshotManifest } from './repo/snapshot';

/**
 * restic-style `forget` policy: a snapshot is kept when any rule keeps it. Buckets are
 * calendar periods in UTC; within a bucket the newest snapshot is kept. Pure function.
 */
export function selectKept(snaps: SnapshotManifest[], policy: Retention): { keep: SnapshotManifest[]; forget: SnapshotManifest[] } {
  const newestFirst = [...snaps].sort((a, b) => b.time.localeCompare(a.time));
  const keep = new Set<string>();
  if (policy.keepLast) newestFirst.slice(0, policy.keepLast).forEach((s) => keep.add(s.id));
  const bucketRules: [number | undefined, (d: Date) => string][] = [
    [policy.keepHourly, (d) => d.toISOString().slice(0, 13)],
    [policy.keepDaily, (d) => d.toISOString().slice(0, 10)],
    [policy.keepWeekly, (d) => isoWeek(d)],
    [policy.keepMonthly, (d) => d.toISOString().slice(0, 7)],
    [policy.keepYearly, (d) => d.toISOString().slice(0, 4)],
  ];
  for (const [n, bucket] of bucketRules) {
    if (!n) continue;
    const seen = new Set<string>();
    for (const s of newestFirst) {
      const b = bucket(new Date(s.time));
      if (seen.has(b)) continue;
      seen.add(b);
      keep.add(s.id);
      if (seen.size >= n) break;
    }
  }
  if (policy.keepTags?.length) for (const s of snaps) if (s.tags.some((t) => policy.keepTags?.includes(t))) keep.add(s.id);
  const anyRule = Object.values(policy).some((v) => v !== undefined);
  if (!anyRule) newestFirst.forEach((s) => keep.add(s.id));
  return { keep: newestFirst.filter((s) => keep.has(s.id)), forget: newestFirst.filter((s) => !keep.has(s.id)) };
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = new Date(Date.UTC(t.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((t.getTime() - yearStart.getTime()) / 86400000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
