import { z } from 'zod';
import { BadInputError } from '../common/errors';
import { FailoverReportSchema, type FailoverMode, type FailoverReport } from '../common/failover-report';
import { JsonDocuments } from '../engine/repo/json-documents';
import { failoverPointerKey, failoverReportKey } from '../engine/repo/layout';
import type { BlobStore } from '../engine/store/blob-store';

const ReportIdSchema = z.object({ id: z.string().optional() }).passthrough();

/** The report that finished last (reports without a finish time count as oldest). */
export function newestFinished(reports: readonly (FailoverReport | null)[]): FailoverReport | null {
  const found = reports.filter((r): r is FailoverReport => r !== null);
  found.sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''));
  return found[0] ?? null;
}

/**
 * Failover, drill and failback reports in the repository: `reports/failover/<id>.json`,
 * overwritten as the run progresses, and per site and mode a copy of the last finished and
 * the last successful one, so `status` and failback find them without listing.
 */
export class FailoverReportStore {
  private readonly docs: JsonDocuments;

  constructor(store: BlobStore) {
    this.docs = new JsonDocuments(store);
  }

  /** Store the report and, once it is finished, the site's pointers. Returns the report's key. */
  async write(report: FailoverReport): Promise<string> {
    if (!report.id) throw new BadInputError('report.id: is required');
    const key = failoverReportKey(report.id);
    await this.docs.put(key, report);
    if (report.outcome === 'running') return key;
    const { site, mode } = report.incident;
    await this.docs.put(failoverPointerKey(site, mode, false), report);
    const okKey = failoverPointerKey(site, mode, true);
    if (report.outcome === 'succeeded') await this.docs.put(okKey, report);
    // a run that stored "succeeded" and was compensated afterwards must not stay the last success
    else if ((await this.docs.get(okKey, ReportIdSchema))?.id === report.id) await this.docs.delete(okKey);
    return key;
  }

  byId(id: string): Promise<FailoverReport | null> {
    return this.docs.get(failoverReportKey(id), FailoverReportSchema);
  }

  /** The last finished (successful) report of a site's runs of `mode`; `tolerant`: a malformed one reads as none. */
  last(site: string, mode: FailoverMode, successful: boolean, tolerant = false): Promise<FailoverReport | null> {
    const key = failoverPointerKey(site, mode, successful);
    return tolerant ? this.docs.tryGet(key, FailoverReportSchema) : this.docs.get(key, FailoverReportSchema);
  }

  /** The newest of the last (successful) reports of the modes named. */
  async newest(site: string, modes: readonly FailoverMode[], successful: boolean): Promise<FailoverReport | null> {
    return newestFinished(await Promise.all(modes.map((m) => this.last(site, m, successful))));
  }
}
