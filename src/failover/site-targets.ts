import fs from 'node:fs';
import path from 'node:path';
import { BadInputError, NotFoundError } from '../common/errors';
import type { Plan } from '../config/plan-schema';
import { parsePlanSites } from './plan-sites';
import { drillTargetDir, type RestoreTarget, type Site } from './site-schema';
import type { TargetSide } from '../contracts/failover-types';

/**
 * The plan's failover sites, parsed once when the worker starts (a broken `sites:` entry stops
 * it then, not during an incident), relative paths against the plan file's folder.
 */
export class SiteCatalog {
  private readonly sites: Site[];

  constructor(plan: Plan) {
    this.sites = parsePlanSites(plan, plan.baseDir ?? process.cwd());
  }

  names(): string[] {
    return this.sites.map((s) => s.name);
  }

  get(name: string): Site {
    const site = this.sites.find((s) => s.name === name);
    if (!site) throw new NotFoundError(`site: no site named "${name}" in the plan (sites: ${this.names().join(', ') || 'none'})`);
    return site;
  }
}

/** Where each asset goes on a side: the side's restore list, or <drill.targetDir>/<asset> for drills (drills mirror the standby's list). */
export function targetsOf(site: Site, side: TargetSide): RestoreTarget[] {
  if (side === 'drill') return site.standby.restore.map((r) => ({ asset: r.asset, targetDir: drillTargetDir(site, r.asset) }));
  return site[side].restore.map((r) => ({ asset: r.asset, targetDir: path.resolve(r.targetDir) }));
}

export function targetOf(site: Site, side: TargetSide, asset: string): string {
  const t = targetsOf(site, side).find((r) => r.asset === asset);
  if (!t) throw new BadInputError(`asset: site ${site.name} restores no asset "${asset}" on the ${side}`);
  return t.targetDir;
}

/** Sibling that holds a side's previous data while a failover owns the target. */
export function preservedPath(target: string, key: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.lepton-prev-${key}`);
}

/** Remove the staging and moved-aside folders a restore child (ids starting with `prefix`) may have left next to `target`. */
export async function removeRestoreLeftovers(target: string, prefix: string): Promise<string[]> {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const starts = [`.${base}.lepton-restore-${prefix}`, `.${base}.lepton-old-${prefix}`];
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const gone = names.filter((n) => starts.some((s) => n.startsWith(s)));
  for (const n of gone) await fs.promises.rm(path.join(dir, n), { recursive: true, force: true });
  return gone;
}

const exists = (p: string): boolean => fs.existsSync(p);

/** Move a side's current data aside before a restore replaces it (idempotent). */
export async function preserveTarget(target: string, key: string): Promise<{ existed: boolean; detail: string }> {
  const prev = preservedPath(target, key);
  if (exists(prev)) return { existed: true, detail: `${target} already kept aside` };
  if (!exists(target)) return { existed: false, detail: `${target} did not exist` };
  await fs.promises.rename(target, prev);
  return { existed: true, detail: `${target} kept aside until the run ends` };
}

/**
 * Undo a restore onto a live side: remove restore leftovers and put the previous data back.
 * Idempotent. `existed` is what preserveTarget answered (undefined when it never ran).
 */
export async function putBackTarget(target: string, key: string, restorePrefix: string, existed: boolean | undefined): Promise<string> {
  const prev = preservedPath(target, key);
  const leftovers = await removeRestoreLeftovers(target, restorePrefix);
  let detail: string;
  if (exists(prev)) {
    await fs.promises.rm(target, { recursive: true, force: true });
    await fs.promises.rename(prev, target);
    detail = `previous data of ${target} put back`;
  } else if (existed === false) {
    await fs.promises.rm(target, { recursive: true, force: true });
    detail = `restored ${target} removed (it did not exist before)`;
  } else {
    detail = existed ? `previous data of ${target} already put back` : `${target} was never moved aside; left as is`;
  }
  if (leftovers.length) detail += `; removed ${leftovers.length} restore leftover(s)`;
  return detail;
}

/** After a successful run: drop the kept-aside previous data. */
export async function discardPreserved(target: string, key: string): Promise<void> {
  await fs.promises.rm(preservedPath(target, key), { recursive: true, force: true });
}

/** Remove a drill's copy of an asset and any restore leftovers next to it, and the drill folder once empty. */
export async function cleanDrillTarget(site: Site, asset: string, restorePrefix: string | undefined): Promise<string> {
  const target = targetOf(site, 'drill', asset);
  const had = exists(target);
  const leftovers = restorePrefix ? await removeRestoreLeftovers(target, restorePrefix) : [];
  await fs.promises.rm(target, { recursive: true, force: true });
  try {
    await fs.promises.rmdir(site.drill!.targetDir); // only when empty
  } catch {
    // other assets (or unrelated files) still there
  }
  return `${had ? `removed ${target}` : `${target} absent`}${leftovers.length ? `, ${leftovers.length} restore leftover(s)` : ''}`;
}
