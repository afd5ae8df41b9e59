import { IntegrityError } from '../../common/errors';
import { entryPageKey } from '../repo/layout';
import type { Repository } from '../repo/repository';
import { readSignedJson, writeSignedJson } from '../repo/signed-doc';
import { PlanPageParser, type BackupPlan, type PlanEntry } from './work-plan';

/** Entries per page of a plan: a page is a document of about a MiB of JSON. */
export const PAGE_ENTRIES = 4000;

/** Writes a plan's entries as signed pages while the plan step walks the scan; holds one page. */
export class PlanPageWriter {
  private page: PlanEntry[] = [];
  private first = 0;
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
    if (this.page.length >= this.pageEntries) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.page.length) return;
    await writeSignedJson(this.repo, entryPageKey(this.backupId, this.pages), { v: 1, first: this.first, entries: this.page });
    this.pages++;
    this.first += this.page.length;
    this.page = [];
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
  for (let p = 0; p < plan.pages; p++) {
    const key = entryPageKey(plan.backupId, p);
    const page = await readSignedJson(repo, key, PlanPageParser);
    if (page.first !== next) throw new IntegrityError(`${key}: starts at entry ${page.first}, expected ${next}`);
    next += page.entries.length;
    yield page;
  }
  if (next !== plan.entryCount) throw new IntegrityError(`backup ${plan.backupId}: its plan pages hold ${next} entries, the plan says ${plan.entryCount}`);
}
