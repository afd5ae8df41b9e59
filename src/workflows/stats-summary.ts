import type { RepositoryStats } from '../engine/maintenance/stats';
import { humanBytes } from '../common/format';

const x = (r: number) => `${r.toFixed(2)}x`;

/** "3 snapshots of 2 assets: 6.5 MiB logical (latest 2.5 MiB), 1.5 MiB stored; dedup 4.33x, compression 1.00x; 14 objects, 1.6 MiB; ~$0.0001/month". Pure. */
export function statsSummary(
  r: Pick<
    RepositoryStats,
    | 'snapshots'
    | 'assets'
    | 'logicalBytesAll'
    | 'logicalBytesLatest'
    | 'referencedPackBytes'
    | 'totalPackBytes'
    | 'dedupRatio'
    | 'compressionRatio'
    | 'objects'
    | 'totalBytes'
    | 'monthlyCost'
  >,
): string {
  const objects = Object.values(r.objects).reduce((n, p) => n + p.objects, 0);
  const cost = r.monthlyCost !== undefined ? `; ~${r.monthlyCost.toFixed(4)}/month` : '';
  return (
    `${r.snapshots} snapshots of ${r.assets.length} assets: ${humanBytes(r.logicalBytesAll)} logical (latest ${humanBytes(r.logicalBytesLatest)}), ` +
    `${humanBytes(r.referencedPackBytes)} referenced of ${humanBytes(r.totalPackBytes)} in packs; dedup ${x(r.dedupRatio)}, compression ${x(r.compressionRatio)}; ` +
    `${objects} objects, ${humanBytes(r.totalBytes)}${cost}`
  );
}
