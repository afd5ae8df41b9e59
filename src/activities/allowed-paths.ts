import path from 'node:path';
import { BadInputError } from '../common/errors';
import { clash, isWithin, realPath, repositoryFolder, type NamedPath } from '../common/path-overlap';
import { stateDir } from '../config/local-stack';
import type { Plan } from '../config/plan-schema';
import { parsePlanSites } from '../failover/plan-sites';
import { drillTargetDir } from '../failover/site-schema';
import { perPlan } from './per-plan';

/**
 * What a workflow starter may make a worker read or replace. Anyone who can start a workflow
 * names paths; the plan (on the worker) decides which are allowed:
 * - an ad-hoc backup source lies under `roots.sources`, or is a site's standby restore target
 *   (failback backs it up);
 * - a restore target lies under `roots.targets`, or is a restore target a site declares
 *   (primary, standby, drill);
 * - a target never contains the repository (file://), the state folder or an asset's source,
 *   and never lies inside them unless the root that admits it does (the plan said so) or it is a
 *   site's declared target.
 * Paths are compared real (symlinks and ".." resolved). Refusals name the field and the rule.
 */
export class PathPolicy {
  private readonly sourceRoots: NamedPath[];
  private readonly targetRoots: NamedPath[];
  private readonly declaredTargets: NamedPath[];
  private readonly declaredSources: NamedPath[];
  private readonly protectedFolders: NamedPath[];

  constructor(plan: Plan) {
    const base = plan.baseDir ?? process.cwd();
    const real = (field: string, p: string): NamedPath => ({ field, path: realPath(p, base) });
    this.sourceRoots = plan.roots.sources.map((p, i) => real(`roots.sources.${i}`, p));
    // S3 entries are the S3 target policy's (allowed-s3-targets.ts)
    this.targetRoots = plan.roots.targets.flatMap((p, i) => (typeof p === 'string' && !p.startsWith('s3://') ? [real(`roots.targets.${i}`, p)] : []));
    const sites = parsePlanSites(plan, base);
    this.declaredTargets = sites.flatMap((s) => [
      ...s.primary.restore.map((r, i) => real(`site ${s.name} primary.restore.${i}.targetDir`, r.targetDir)),
      ...s.standby.restore.map((r, i) => real(`site ${s.name} standby.restore.${i}.targetDir`, r.targetDir)),
      ...(s.drill ? s.standby.restore.map((r) => real(`site ${s.name} drill.targetDir`, drillTargetDir(s, r.asset))) : []),
    ]);
    this.declaredSources = sites.flatMap((s) => s.standby.restore.map((r, i) => real(`site ${s.name} standby.restore.${i}.targetDir`, r.targetDir)));
    const repo = repositoryFolder(plan.repository.url);
    this.protectedFolders = [
      ...(repo ? [real('the repository (repository.url)', repo)] : []),
      real('the state folder ($LEPTON_DR_STATE_DIR)', stateDir()),
      ...plan.assets.filter((a) => !a.source.startsWith('s3://')).map((a) => real(`the source of asset ${a.name}`, a.source)),
    ];
  }

  /** An ad-hoc backup source (`field` names it in the refusal). Returns the real path. */
  checkSource(source: string, field = 'source'): string {
    const p = realPath(source);
    if (this.declaredSources.some((d) => d.path === p)) return p;
    if (!this.sourceRoots.some((r) => isWithin(p, r.path))) {
      throw new BadInputError(
        `${field}: ${source} is outside the plan's allowed roots for ad-hoc backup sources (roots.sources: ${this.list(this.sourceRoots)})`,
      );
    }
    return p;
  }

  /** A restore target (`field` names it in the refusal). Returns the real path. */
  checkTarget(target: string, field = 'target'): string {
    const p = realPath(target);
    if (p === path.parse(p).root) throw new BadInputError(`${field}: refusing to restore onto the root folder`);
    const declared = this.declaredTargets.some((d) => d.path === p);
    const roots = this.targetRoots.filter((r) => isWithin(p, r.path));
    if (!declared && roots.length === 0) {
      throw new BadInputError(
        `${field}: ${target} is outside the plan's allowed roots for restore targets (roots.targets: ${this.list(this.targetRoots)}) and is no site's restore target`,
      );
    }
    const me: NamedPath = { field, path: p };
    for (const f of this.protectedFolders) {
      if (declared && f.path === p) continue; // failback restores onto the primary: the plan declares it
      const c = clash(me, [f]);
      if (!c) continue;
      const inside = isWithin(p, f.path) && p !== f.path;
      if (inside && (declared || roots.some((r) => isWithin(r.path, f.path)))) continue; // the plan put a root (or a site target) there
      throw new BadInputError(`${c}: a restore replaces its target, so it may not ${inside ? 'write inside' : 'replace'} ${f.field}`);
    }
    return p;
  }

  private list(roots: NamedPath[]): string {
    return roots.length ? roots.map((r) => r.path).join(', ') : 'none declared';
  }
}

/** The policy of a plan (built once per plan object). */
export const pathPolicy = perPlan((plan) => new PathPolicy(plan));

/** The planRestore activity's check of a folder target (S3 targets: allowed-s3-targets.ts). */
export function checkRestoreTarget(plan: Plan, target: string): void {
  pathPolicy(plan).checkTarget(target);
}
