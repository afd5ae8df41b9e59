import { BadInputError } from '../common/errors';
import { clash, realPath, repositoryFolder, type NamedPath } from '../common/path-overlap';
import type { Plan } from '../config/plan-schema';
import { parseSite, SIDES, type Site } from './site-schema';

/** A site entry with any failover section is a failover site; one with only `name`/`prediction` is a prediction-only site. */
export const isFailoverSite = (entry: Record<string, unknown>): boolean => ['primary', 'standby', 'switcher'].some((k) => entry[k] !== undefined);

/**
 * Every failover site of the plan, parsed once when the plan is loaded (the worker refuses to
 * start, the CLI refuses to run), relative paths resolved against the plan file's folder. Beyond
 * each site's schema, folders that must not overlap are checked (symlinks and ".." resolved):
 * a drill target may not contain or lie inside a side's restore target, an asset's source or a
 * file:// repository (a drill's cleanup deletes its target); the primary's and the standby's
 * targets may not overlap; no restore target may overlap the repository.
 */
export function parsePlanSites(plan: Pick<Plan, 'sites' | 'assets' | 'repository'>, baseDir: string, where = 'plan'): Site[] {
  const assets = plan.assets.map((a) => a.name);
  const names = new Map<string, number>();
  const sites: Site[] = [];
  const problems: string[] = [];
  plan.sites.forEach((entry, i) => {
    const name = entry.name;
    if (typeof name === 'string') {
      if (names.has(name)) problems.push(`sites.${i}.name: duplicate site name "${name}" (also sites.${names.get(name)})`);
      names.set(name, i);
    }
    if (!isFailoverSite(entry)) return;
    try {
      const site = parseSite(entry, { where: `${where}: sites.${i}`, assets, baseDir });
      problems.push(...overlaps(site, `sites.${i}`, plan));
      sites.push(site);
    } catch (e) {
      if (!(e instanceof BadInputError)) throw e;
      problems.push(e.message.replace(/^invalid [^:]+: sites\.\d+: /, `sites.${i}.`));
    }
  });
  if (problems.length) throw new BadInputError(`invalid ${where}: ${problems.join('; ')}`);
  return sites;
}

function overlaps(site: Site, at: string, plan: Pick<Plan, 'assets' | 'repository'>): string[] {
  const real = (field: string, p: string): NamedPath => ({ field, path: realPath(p) });
  const targets = (side: 'primary' | 'standby') => site[side].restore.map((r, j) => real(`${at}.${side}.restore.${j}.targetDir`, r.targetDir));
  const sources = plan.assets.map((a, j) => real(`assets.${j}.source`, a.source));
  const repoDir = repositoryFolder(plan.repository.url);
  const repo = repoDir ? [real('repository.url', repoDir)] : [];
  const out: string[] = [];
  const refuse = (p: NamedPath, others: NamedPath[], why: string) => {
    const c = clash(p, others);
    if (c) out.push(`${c}: ${why}`);
  };
  for (const s of targets('standby')) refuse(s, targets('primary'), 'the primary and the standby must not share folders');
  for (const side of SIDES) for (const t of targets(side)) refuse(t, repo, 'a restore would replace the repository');
  if (site.drill) {
    const drill = real(`${at}.drill.targetDir`, site.drill.targetDir);
    refuse(drill, [...targets('primary'), ...targets('standby'), ...sources, ...repo], "a drill's cleanup deletes its target");
  }
  return out;
}
