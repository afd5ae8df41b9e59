import { IntegrityError } from '../../common/errors';
import { entryPageKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { readSignedJson, writeSignedJson } from '../repo/signed-doc';
import { PlanPageParser, type BackupPlan, type PlanEntry } from './work-plan';

/** Entries per page of a plan: a page is a document of about a MiB of JSON. */
export const PAGE_ENTRIES = 4000;

/** Writes a plan's entries as signed pages while the plan step walks the scan; holds one page and writes the one before. */
export class PlanPageWriter {
  private page: PlanEntry[] = [];
  private first = 0;
  private writing: Promise<void> = Promise.resolve();
  pages = 0;

  constructor(
    private readonly repo: Repository,
    private readonly backupId: string,
    private readonly pageEntries = PAGE_ENTRIES,
  ) {}

  /** The index the next entry gets. */
  get count(): number {
    return this.first + this.page.length;
  }

  async push(e: PlanEntry): Promise<void> {
    this.page.push(e);
    if (this.page.length >= this.pageEntries) await this.write();
  }

  /** Start writing the page held; the one written before must be stored first, so at most one write is in flight. */
  private async write(): Promise<void> {
    await this.writing;
    if (!this.page.length) return;
    this.writing = writeSignedJson(this.repo, entryPageKey(this.backupId, this.pages), { v: 1, first: this.first, entries: this.page }).then(() => undefined);
    // awaited by the next write or by flush
    this.writing.catch(() => undefined);
    this.pages++;
    this.first += this.page.length;
    this.page = [];
  }

  /** Wait for the write in flight, failed or not: a step that gives up must not leave a page landing after it (a retry rewrites the same keys). */
  async idle(): Promise<void> {
    await this.writing.catch(() => undefined);
  }

  /** Write the page held and wait until every page is stored: the plan that names them may go next. */
  async flush(): Promise<void> {
    await this.write();
    await this.writing;
  }
}

/**
 * A plan's entries page by page, each page verified and validated as it is read: a v1 plan's
 * inline list is its one page. `first` is the index of the page's first entry.
 */
export async function* planPages(repo: Repository, plan: BackupPlan): AsyncGenerator<{ first: number; entries: PlanEntry[] }> {
  if (plan.v === 1) {
    yield { first: 0, entries: plan.entries };
    return;
  }
  let next = 0;
  const read = (p: number) => {
    const r = readSignedJson(repo, entryPageKey(plan.backupId, p), PlanPageParser);
    // a read ahead the caller stops before is never awaited
    r.catch(() => undefined);
    return r;
  };
  // one page read ahead while the caller works on the one before: two pages in memory at most
  let ahead = plan.pages > 0 ? read(0) : undefined;
  for (let p = 0; ahead; p++) {
    const page = await ahead;
    ahead = p + 1 < plan.pages ? read(p + 1) : undefined;
    if (page.first !== next) throw new IntegrityError(`${entryPageKey(plan.backupId, p)}: starts at entry ${page.first}, expected ${next}`);
    next += page.entries.length;
    yield page;
  }
  if (next !== plan.entryCount) throw new IntegrityError(`backup ${plan.backupId}: its plan pages hold ${next} entries, the plan says ${plan.entryCount}`);
}
