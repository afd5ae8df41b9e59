import { BadInputError } from '../common/errors';
import type { CopyTarget, Plan } from '../config/plan-schema';
import type { Repository } from '../engine/repo/repository';
import { openConfiguredRepository } from './open-repository';

/**
 * The environment a target's store sees: its own credentials from the variables it names
 * (never the main repository's), or the standard chain when it names none.
 */
function targetEnv(t: CopyTarget, env: NodeJS.ProcessEnv, field: string): NodeJS.ProcessEnv {
  if (!t.accessKeyIdEnv || !t.secretAccessKeyEnv) return env;
  const pick = (name: string, what: string) => {
    const v = env[name];
    if (!v) throw new BadInputError(`${field}.${what}: environment variable ${name} is not set`);
    return v;
  };
  return {
    ...env,
    AWS_ACCESS_KEY_ID: pick(t.accessKeyIdEnv, 'accessKeyIdEnv'),
    AWS_SECRET_ACCESS_KEY: pick(t.secretAccessKeyEnv, 'secretAccessKeyEnv'),
    AWS_SESSION_TOKEN: t.sessionTokenEnv ? pick(t.sessionTokenEnv, 'sessionTokenEnv') : undefined,
    AWS_PROFILE: undefined,
  };
}

export function findCopyTarget(plan: Plan, name: string): CopyTarget {
  const t = plan.copyTargets.find((c) => c.name === name);
  if (!t)
    throw new BadInputError(`target: "${name}" is not a copy target of the plan (copyTargets: ${plan.copyTargets.map((c) => c.name).join(', ') || 'none'})`);
  return t;
}

/** Open (creating on first use) the named copy target of the plan. */
export async function openCopyTarget(plan: Plan, name: string, env: NodeJS.ProcessEnv = process.env): Promise<Repository> {
  const t = findCopyTarget(plan, name);
  const field = `copyTargets.${name}`;
  return openConfiguredRepository(t, targetEnv(t, env, field), field);
}
