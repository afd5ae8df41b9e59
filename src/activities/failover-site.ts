import fs from 'node:fs';
import path from 'node:path';
import { BadInputError, NotFoundError } from '../common/errors';
import type { Plan } from '../config/plan-schema';
import { parsePlanSites } from '../failover/plan-sites';
import { drillTargetDir, type RestoreTarget, type Site } from '../failover/site-schema';
import type { TargetSide } from '../workflows/failover-types';

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

export const exists = (p: string): boolean => fs.existsSync(p);
