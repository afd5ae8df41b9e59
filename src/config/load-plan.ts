import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { BadInputError, NotFoundError } from '../common/errors';
import { rememberSecret, rememberSecretsIn } from '../common/secrets';
import { formatZodError } from '../common/zod-errors';
import { LOCAL_STACK, stateDir } from './local-stack';
import { PlanSchema, type Plan } from './plan-schema';
import { applyTemporalEnv } from './temporal-env';

/** Replace ${VAR} and ${VAR:-default} in string values; a value taken from the environment is a secret (redacted everywhere). */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, where: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}/g, (_m, name: string, _d, dflt: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') {
        rememberSecret(v);
        return v;
      }
      if (dflt !== undefined) return dflt;
      throw new BadInputError(`${where}: environment variable ${name} is not set`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, `${where}.${k}`)]));
  }
  return value;
}

/** Environment overrides win over the file, so one plan serves dev, CI and production. */
function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const repo = { ...((raw.repository as Record<string, unknown>) ?? {}) };
  const temporal = applyTemporalEnv((raw.temporal as Record<string, unknown>) ?? {}, env);
  if (env.LEPTON_DR_REPOSITORY) repo.url = env.LEPTON_DR_REPOSITORY;
  if (env.LEPTON_DR_S3_ENDPOINT) repo.endpoint = env.LEPTON_DR_S3_ENDPOINT;
  if (env.LEPTON_DR_REPOSITORY_KEY_FILE) repo.keyFile = env.LEPTON_DR_REPOSITORY_KEY_FILE;
  return { ...raw, repository: repo, temporal };
}

export function parsePlan(raw: unknown, file: string, env: NodeJS.ProcessEnv = process.env): Plan {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new BadInputError(`${file}: the plan must be a YAML mapping`);
  }
  const { baseDir: _fromFile, ...fromFile } = raw as Record<string, unknown>;
  const interpolated = interpolate(fromFile, env, file);
  rememberSecretsIn(interpolated);
  const withEnv = applyEnvOverrides(interpolated as Record<string, unknown>, env);
  const r = PlanSchema.safeParse(withEnv);
  if (!r.success) throw new BadInputError(`${file}: ${formatZodError(r.error)}`);
  const plan = r.data;
  const base = path.dirname(path.resolve(file));
  plan.baseDir = base;
  if (plan.repository.keyFile) plan.repository.keyFile = path.resolve(base, plan.repository.keyFile);
  if (plan.repository.passwordFile) plan.repository.passwordFile = path.resolve(base, plan.repository.passwordFile);
  for (const c of plan.copyTargets) {
    if (c.keyFile) c.keyFile = path.resolve(base, c.keyFile);
    if (c.passwordFile) c.passwordFile = path.resolve(base, c.passwordFile);
  }
  const t = plan.temporal;
  if (t.apiKeyFile) t.apiKeyFile = path.resolve(base, t.apiKeyFile);
  if (typeof t.tls === 'object') {
    for (const f of ['serverCaFile', 'clientCertFile', 'clientKeyFile'] as const) {
      const v = t.tls[f];
      if (v) t.tls[f] = path.resolve(base, v);
    }
  }
  for (const a of plan.assets) {
    if (!a.source.startsWith('s3://')) a.source = path.resolve(base, a.source);
    for (const h of Object.values(a.hooks ?? {})) if (h.type === 'command' && h.cwd) h.cwd = path.resolve(base, h.cwd);
  }
  return plan;
}

export function loadPlanFile(file: string, env: NodeJS.ProcessEnv = process.env): Plan {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new NotFoundError(`plan file ${file} cannot be read`);
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (e) {
    throw new BadInputError(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  return parsePlan(raw, file, env);
}

/** The plan used when no file is given: the embedded local stack's repository, no assets. */
export function defaultPlan(env: NodeJS.ProcessEnv = process.env): Plan {
  return parsePlan(
    {
      repository: {
        url: LOCAL_STACK.repositoryUrl,
        endpoint: LOCAL_STACK.s3Endpoint,
        region: LOCAL_STACK.region,
        pathStyle: true,
        keyFile: path.join(stateDir(), 'keys', 'repository.key'),
      },
      temporal: { address: LOCAL_STACK.temporalAddress, namespace: LOCAL_STACK.namespace, taskQueue: LOCAL_STACK.taskQueue },
    },
    '(built-in local plan)',
    env,
  );
}

/** --plan flag, then LEPTON_DR_PLAN, then the built-in local plan. */
export function resolvePlan(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Plan {
  const f = file ?? env.LEPTON_DR_PLAN;
  return f ? loadPlanFile(f, env) : defaultPlan(env);
}
