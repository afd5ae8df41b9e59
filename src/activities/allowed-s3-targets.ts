import { BadInputError } from '../common/errors';
import { sameEndpoint } from '../common/s3-endpoint';
import type { Plan, S3Endpoint, S3Root } from '../config/plan-schema';
import { openS3Location, parseS3Url, type S3Location } from '../engine/source/s3-location';
import { perPlan } from './per-plan';

/** A bucket prefix of the plan on one endpoint (undefined: the SDK's default, AWS). */
interface NamedPrefix {
  field: string;
  endpoint?: string;
  bucket: string;
  prefix: string;
}

type S3TargetRoot = NamedPrefix & { conn: Partial<S3Endpoint> };

const show = (p: NamedPrefix) => `s3://${p.bucket}/${p.prefix}${p.endpoint ? ` at ${p.endpoint}` : ''}`;

/** An S3 entry of roots.targets: a plain s3:// string (default connection) or {url, s3}. */
function s3Root(t: string | S3Root): S3Root | undefined {
  if (typeof t !== 'string') return t;
  return t.startsWith('s3://') ? { url: t } : undefined;
}

/**
 * What S3 prefix a workflow starter may make a worker replace, and with which connection. The
 * rules of folder targets (allowed-paths.ts), for prefixes: a target lies under an S3 entry of
 * `roots.targets` and is reached with that root's connection (the starter names a url, never an
 * endpoint or credentials); it is never a whole bucket; on the root's endpoint it neither
 * contains nor lies inside the repository, a copy target or an asset's S3 source, unless the
 * root that admits it lies inside that prefix (the plan said so). Refusals name the field.
 */
export class S3TargetPolicy {
  private readonly roots: S3TargetRoot[];
  private readonly protectedPrefixes: NamedPrefix[];

  constructor(plan: Plan) {
    this.roots = plan.roots.targets.flatMap((t, i) => {
      const r = s3Root(t);
      const field = `roots.targets.${i}`;
      return r ? [{ field, ...parseS3Url(r.url, field), endpoint: r.s3?.endpoint, conn: r.s3 ?? {} }] : [];
    });
    const repos = [
      { field: 'the repository (repository.url)', url: plan.repository.url, endpoint: plan.repository.endpoint },
      ...plan.copyTargets.map((c) => ({ field: `the copy target ${c.name} (copyTargets)`, url: c.url, endpoint: c.endpoint })),
      ...plan.assets.map((a) => ({ field: `the source of asset ${a.name}`, url: a.source, endpoint: a.s3?.endpoint })),
    ];
    this.protectedPrefixes = repos.filter((r) => r.url.startsWith('s3://')).map((r) => ({ field: r.field, endpoint: r.endpoint, ...parseS3Url(r.url) }));
  }

  /** The connection settings of an S3 restore target (`field` names it in refusals): its root's. */
  check(url: string, field = 'target'): Partial<S3Endpoint> {
    const t = parseS3Url(url, field);
    if (!t.prefix) throw new BadInputError(`${field}: refusing to restore over the whole bucket ${t.bucket}; give s3://${t.bucket}/prefix`);
    const root = this.roots.filter((r) => r.bucket === t.bucket && t.prefix.startsWith(r.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
    if (!root) {
      const listed = this.roots.length ? this.roots.map(show).join(', ') : 'none declared';
      throw new BadInputError(`${field}: ${url} is outside the plan's allowed S3 roots for restore targets (roots.targets: ${listed})`);
    }
    for (const p of this.protectedPrefixes) {
      if (p.bucket !== t.bucket || !sameEndpoint(p.endpoint, root.endpoint)) continue;
      const inside = t.prefix.startsWith(p.prefix) && t.prefix !== p.prefix;
      if (!inside && !p.prefix.startsWith(t.prefix)) continue;
      if (inside && root.prefix.startsWith(p.prefix) && root.prefix !== p.prefix) continue; // the plan put a root there
      throw new BadInputError(
        `${field} (${url}): a restore replaces its target, so it may not ${inside ? 'write inside' : 'replace'} ${p.field} (${show(p)}), admitted by ${root.field}`,
      );
    }
    return root.conn;
  }
}

/** The S3 target policy of a plan (built once per plan object). */
export const s3TargetPolicy = perPlan((plan) => new S3TargetPolicy(plan));

/** Check an S3 restore target against the plan, open it with its root's connection for `fn`, close it after. */
export async function withRestoreTarget<T>(plan: Plan, url: string, fn: (loc: S3Location) => Promise<T>): Promise<T> {
  const loc = openS3Location(url, s3TargetPolicy(plan).check(url), process.env, 'target');
  try {
    return await fn(loc);
  } finally {
    loc.client.destroy();
  }
}
