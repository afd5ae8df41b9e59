import path from 'node:path';
import { z } from 'zod';
import { BadInputError } from '../common/errors';
import { formatZodError } from '../common/zod-errors';
import { DurationMsSchema } from '../common/schema-primitives';
import { NameSchema, ScheduleSchema } from '../config/plan-schema';
import { ActionSchema } from '../config/action-schema';
import { HealthCheckSchema, type HealthCheck } from './health-check-schema';
import { SwitcherSchema, switcherKind, type SwitcherSpec } from './switcher-kinds';
import { unknownTemplateVariables } from './template';

/**
 * A failover site as written in the plan file (`sites:`). Everything a failover, drill or
 * failback needs to know about one primary/standby pair: where assets are restored, how to tell
 * that a side is healthy, how to fence it, how traffic is moved, and the objectives to meet.
 */

/** Milliseconds as a number, or a duration string ("500ms", "90s", "15m", "1h", "7d"). */
export { DurationMsSchema };

// ---------------------------------------------------------------- sides

export const RestoreTargetSchema = z
  .object({
    asset: NameSchema,
    /** Directory the asset's snapshot is restored into on this side (replaced atomically). */
    targetDir: z.string().min(1, 'must be a directory path'),
  })
  .strict();
export type RestoreTarget = z.infer<typeof RestoreTargetSchema>;

export const SideSchema = z
  .object({
    /** host:port that switchers put behind the traffic entry point as {{upstream}}. */
    upstream: z
      .string()
      .regex(/^[A-Za-z0-9._:[\]-]+$/, 'must be "host:port" (letters, digits, ".", "-", ":", "[", "]")')
      .optional(),
    restore: z.array(RestoreTargetSchema).default([]),
    /** Checks that this side serves correctly (run on the side directly, not through the switch). */
    health: z.array(HealthCheckSchema).default([]),
    /** Stop this side taking writes/traffic (for the primary: before the standby takes over). */
    fence: ActionSchema.optional(),
    /** Undo `fence` (compensation, and failback). */
    unfence: ActionSchema.optional(),
    /**
     * Run after data was restored into this side's targets, or put back by a compensation, so the
     * service loads it (e.g. POST /admin/reload of the model server, or `systemctl reload ...`).
     */
    afterRestore: ActionSchema.optional(),
  })
  .strict();
export type SideSpec = z.infer<typeof SideSchema>;
export type SideName = 'primary' | 'standby';
export const SIDES: readonly SideName[] = ['primary', 'standby'];

// ---------------------------------------------------------------- switchers

/** Placeholders a switcher template may use. */
export const SWITCHER_TEMPLATE_VARIABLES = ['side', 'upstream', 'primaryUpstream', 'standbyUpstream'] as const;

// ---------------------------------------------------------------- objectives, approval, drill

export const ObjectivesSchema = z
  .object({
    /** Recovery time objective: incident -> traffic healthy on the standby. */
    rtoSeconds: z.number().int().positive(),
    /** Recovery point objective: snapshot time -> incident (the data-loss window). */
    rpoSeconds: z.number().int().positive(),
  })
  .strict();
export type Objectives = z.infer<typeof ObjectivesSchema>;

export const ApprovalSchema = z
  .object({
    required: z.boolean().default(true),
    timeout: DurationMsSchema.default('15m'),
    onTimeout: z.enum(['abort', 'proceed']).default('abort'),
  })
  .strict()
  .transform((a) => ({ required: a.required, timeoutMs: a.timeout, onTimeout: a.onTimeout }));
export type Approval = z.infer<typeof ApprovalSchema>;

export const DrillSchema = z
  .object({
    /** Drills restore each asset into <targetDir>/<asset>, never into the standby's live dirs. */
    targetDir: z.string().min(1, 'must be a directory path'),
    /** Checks run against whatever serves the drill copy (optional). */
    health: z.array(HealthCheckSchema).default([]),
    /** Run drills on a Temporal Schedule (`lepton-dr schedules apply` creates it). */
    schedule: ScheduleSchema.optional(),
  })
  .strict();
export type Drill = z.infer<typeof DrillSchema>;

/**
 * When a planned failover fences the primary. "start" (default): right after the incident is
 * opened, before anything else; the primary must be a write fence (it stops writers, keeps
 * serving reads) for zero lost requests. "after-switch": once traffic is validated on the
 * standby (after `drainMs`), for fences that refuse traffic (like the demo model server's
 * /admin/fence): the primary serves until the switch, then is fenced. Unplanned failovers
 * always fence first (best effort); drills never fence.
 */
export const FencingSchema = z
  .object({
    at: z.enum(['start', 'after-switch']).default('start'),
    drainMs: z.number().int().nonnegative().max(600_000).default(0),
  })
  .strict();
export type Fencing = z.infer<typeof FencingSchema>;

/**
 * Failback: where the primary's data comes from. "standby" (default): back up the standby's
 * restore targets (ad-hoc asset "<site>.<asset>.standby"), then restore that onto the primary,
 * so whatever the standby wrote while serving is kept. "snapshot": restore the newest snapshot
 * of each asset (the standby wrote nothing worth keeping).
 */
export const FailbackSchema = z
  .object({
    from: z.enum(['standby', 'snapshot']).default('standby'),
  })
  .strict();
export type Failback = z.infer<typeof FailbackSchema>;

// ---------------------------------------------------------------- site

export const SiteSchema = z
  .object({
    name: NameSchema,
    description: z.string().optional(),
    /** Owned by the prediction module; not validated here. */
    prediction: z.unknown().optional(),
    primary: SideSchema,
    standby: SideSchema,
    switcher: SwitcherSchema,
    /** Checks through the traffic entry point once traffic is on the standby. */
    trafficChecks: z.array(HealthCheckSchema).default([]),
    objectives: ObjectivesSchema,
    approval: ApprovalSchema.default({}),
    drill: DrillSchema.optional(),
    fencing: FencingSchema.default({}),
    failback: FailbackSchema.default({}),
  })
  .strict()
  .superRefine((site, ctx) => {
    for (const side of SIDES) {
      const seen = new Set<string>();
      site[side].restore.forEach((r, i) => {
        if (seen.has(r.asset))
          ctx.addIssue({ code: 'custom', path: [side, 'restore', i, 'asset'], message: `asset "${r.asset}" is restored twice on the ${side}` });
        seen.add(r.asset);
      });
    }
    // A snapshot checksum can only be expected of an asset that side restores.
    const restored = (side: SideName) => new Set(site[side].restore.map((r) => r.asset));
    const checkRefs = (checks: HealthCheck[], where: (string | number)[], assets: Set<string>, whose: string) =>
      checks.forEach((c, i) => {
        if (c.bodyEqualsSha256Of && !assets.has(c.bodyEqualsSha256Of.asset)) {
          ctx.addIssue({
            code: 'custom',
            path: [...where, i, 'bodyEqualsSha256Of', 'asset'],
            message: `asset "${c.bodyEqualsSha256Of.asset}" is not in ${whose}.restore (${[...assets].join(', ') || 'empty'})`,
          });
        }
      });
    checkRefs(site.primary.health, ['primary', 'health'], restored('primary'), 'primary');
    checkRefs(site.standby.health, ['standby', 'health'], restored('standby'), 'standby');
    checkRefs(site.trafficChecks, ['trafficChecks'], restored('standby'), 'standby');
    if (site.drill) checkRefs(site.drill.health, ['drill', 'health'], restored('standby'), 'standby');

    if (site.primary.upstream && site.primary.upstream === site.standby.upstream) {
      ctx.addIssue({ code: 'custom', path: ['standby', 'upstream'], message: 'must differ from primary.upstream' });
    }
    const kind = switcherKind(site.switcher);
    kind.refine?.(site.switcher, (p, message) => ctx.addIssue({ code: 'custom', path: ['switcher', ...p], message }));
    for (const t of kind.templates(site.switcher)) {
      const [tpl, p] = [t.text, ['switcher', ...t.path]];
      const unknown = unknownTemplateVariables(tpl, SWITCHER_TEMPLATE_VARIABLES);
      if (unknown.length) {
        ctx.addIssue({
          code: 'custom',
          path: p,
          message: `unknown placeholder(s) ${unknown.map((u) => `{{${u}}}`).join(', ')}; use ${SWITCHER_TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
        });
      }
      if (/\{\{\s*(upstream|primaryUpstream|standbyUpstream)\s*\}\}/.test(tpl)) {
        for (const side of SIDES) {
          if (!site[side].upstream)
            ctx.addIssue({ code: 'custom', path: [side, 'upstream'], message: `required: ${p.join('.')} uses an upstream placeholder` });
        }
      }
    }
  });
export type Site = z.infer<typeof SiteSchema>;

export interface ParseSiteOptions {
  /** Prefix for messages, e.g. the plan file name. */
  where?: string;
  /** Asset names defined in the plan; restore targets must name one of them. */
  assets?: readonly string[];
  /** Directory relative paths are resolved against (the plan file's directory). */
  baseDir?: string;
}

/** Validate one site; throws BadInputError naming every offending field ("sites[0].standby.health.0.url: ..."). */
export function parseSite(raw: unknown, opts: ParseSiteOptions = {}): Site {
  const where = opts.where ?? 'site';
  const r = SiteSchema.safeParse(raw);
  if (!r.success) throw new BadInputError(`invalid ${where}: ${formatZodError(r.error)}`);
  const site = r.data;
  if (opts.assets) {
    const known = new Set(opts.assets);
    const bad: string[] = [];
    for (const side of SIDES) {
      site[side].restore.forEach((t, i) => {
        if (!known.has(t.asset)) bad.push(`${side}.restore.${i}.asset: "${t.asset}" is not an asset of the plan (${[...known].join(', ') || 'none defined'})`);
      });
    }
    if (bad.length) throw new BadInputError(`invalid ${where}: ${bad.join('; ')}`);
  }
  return opts.baseDir ? resolveSitePaths(site, opts.baseDir) : site;
}

/** Validate the plan's `sites:` list: each site, plus unique names. */
export function parseSites(raw: readonly unknown[], opts: Omit<ParseSiteOptions, 'where'> & { where?: string } = {}): Site[] {
  const where = opts.where ?? 'plan';
  const sites = raw.map((s, i) => parseSite(s, { ...opts, where: `${where}: sites.${i}` }));
  const seen = new Set<string>();
  sites.forEach((s, i) => {
    if (seen.has(s.name)) throw new BadInputError(`invalid ${where}: sites.${i}.name: duplicate site name "${s.name}"`);
    seen.add(s.name);
  });
  return sites;
}

/** Find a site by name with a clear refusal. */
export function findSite(sites: readonly Site[], name: string): Site {
  const s = sites.find((x) => x.name === name);
  if (!s) throw new BadInputError(`no site named "${name}" in the plan (sites: ${sites.map((x) => x.name).join(', ') || 'none'})`);
  return s;
}

/** Resolve every file-system path of the site against `baseDir` (returns a copy). */
export function resolveSitePaths(site: Site, baseDir: string): Site {
  const abs = (p: string) => path.resolve(baseDir, p);
  const side = (s: SideSpec): SideSpec => ({
    ...s,
    restore: s.restore.map((r) => ({ ...r, targetDir: abs(r.targetDir) })),
    fence: s.fence && s.fence.type === 'command' && s.fence.cwd ? { ...s.fence, cwd: abs(s.fence.cwd) } : s.fence,
    unfence: s.unfence && s.unfence.type === 'command' && s.unfence.cwd ? { ...s.unfence, cwd: abs(s.unfence.cwd) } : s.unfence,
    afterRestore:
      s.afterRestore && s.afterRestore.type === 'command' && s.afterRestore.cwd ? { ...s.afterRestore, cwd: abs(s.afterRestore.cwd) } : s.afterRestore,
  });
  const switcher = switcherKind(site.switcher).resolvePaths(site.switcher, abs) as SwitcherSpec;
  return {
    ...site,
    primary: side(site.primary),
    standby: side(site.standby),
    switcher,
    drill: site.drill && { ...site.drill, targetDir: abs(site.drill.targetDir) },
  };
}

/** Where a drill restores `asset`. Refuses when the site has no drill section. */
export function drillTargetDir(site: Site, asset: string): string {
  if (!site.drill) throw new BadInputError(`site "${site.name}": drills need a "drill.targetDir" in the plan`);
  return path.join(site.drill.targetDir, asset);
}
