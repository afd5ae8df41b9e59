import fs from 'node:fs';
import path from 'node:path';
import { BadInputError, NotFoundError } from '../common/errors';
import type { Plan } from '../config/plan-schema';
import { drillTargetDir, parseSite, type RestoreTarget, type Site } from '../failover/site-schema';
import type { TargetSide } from '../workflows/failover-types';

/**
 * Sites are parsed lazily, one at a time: the plan's `sites:` list is shared with other modules
 * (prediction), and a site this worker never fails over must not stop it from starting.
 * Relative paths resolve against the plan file's folder ($LEPTON_DR_PLAN), else the worker's cwd.
 */
export class SiteCatalog {
  private readonly cache = new Map<string, Site>();

  constructor(
    private readonly plan: Plan,
    private readonly baseDir = process.env.LEPTON_DR_PLAN ? path.dirname(path.resolve(process.env.LEPTON_DR_PLAN)) : process.cwd(),
  ) {}

  names(): string[] {
    return this.plan.sites.map((s) => (typeof s.name === 'string' ? s.name : '')).filter(Boolean);
  }

  get(name: string): Site {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const i = this.plan.sites.findIndex((s) => s.name === name);
    if (i < 0) throw new NotFoundError(`site: no site named "${name}" in the plan (sites: ${this.names().join(', ') || 'none'})`);
    const site = parseSite(this.plan.sites[i], { where: `plan: sites.${i}`, assets: this.plan.assets.map((a) => a.name), baseDir: this.baseDir });
    this.cache.set(name, site);
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
