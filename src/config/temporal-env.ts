import path from 'node:path';
import { z } from 'zod';
import { BadInputError } from '../common/errors';
import { formatIssues } from '../common/schema-primitives';

/** An empty value means unset: compose files forward `${VAR:-}` for every setting. */
const optional = <S extends z.ZodTypeAny>(s: S) => z.preprocess((v) => (v === '' ? undefined : v), s.optional());
/** A path from the environment is relative to the working directory, not to the plan file. */
const file = optional(z.string()).transform((v) => (v === undefined ? undefined : path.resolve(v)));

/**
 * The environment settings of the Temporal connection, named as Temporal's own clients and CLI
 * name them (TEMPORAL_ADDRESS, TEMPORAL_TLS_*, TEMPORAL_API_KEY), so a worker deploys with the
 * same variables as the rest of a Temporal estate. They win over the plan's `temporal:` section.
 */
export const TemporalEnvSchema = z.object({
  TEMPORAL_ADDRESS: optional(z.string()),
  TEMPORAL_NAMESPACE: optional(z.string()),
  LEPTON_DR_TASK_QUEUE: optional(z.string()),
  TEMPORAL_TLS: optional(z.enum(['true', 'false', '1', '0'], { errorMap: () => ({ message: 'must be "true" or "false"' }) })),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: file,
  TEMPORAL_TLS_CLIENT_CERT_PATH: file,
  TEMPORAL_TLS_CLIENT_KEY_PATH: file,
  TEMPORAL_TLS_SERVER_NAME: optional(z.string()),
  /** The key itself; its value is registered as a secret and never logged. */
  TEMPORAL_API_KEY: optional(z.string()),
  LEPTON_DR_TEMPORAL_API_KEY_FILE: file,
});

export const TEMPORAL_ENV_NAMES = Object.keys(TemporalEnvSchema.shape) as (keyof typeof TemporalEnvSchema.shape)[];

/** The plan's raw `temporal:` mapping with the environment's settings applied over it. */
export function applyTemporalEnv(temporal: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const r = TemporalEnvSchema.safeParse(Object.fromEntries(TEMPORAL_ENV_NAMES.map((n) => [n, env[n]])));
  if (!r.success) throw new BadInputError(`environment: ${formatIssues(r.error)}`);
  const e = r.data;
  const out = { ...temporal };
  if (e.TEMPORAL_ADDRESS) out.address = e.TEMPORAL_ADDRESS;
  if (e.TEMPORAL_NAMESPACE) out.namespace = e.TEMPORAL_NAMESPACE;
  if (e.LEPTON_DR_TASK_QUEUE) out.taskQueue = e.LEPTON_DR_TASK_QUEUE;
  if (e.TEMPORAL_API_KEY) {
    out.apiKeyEnv = 'TEMPORAL_API_KEY';
    delete out.apiKeyFile;
  } else if (e.LEPTON_DR_TEMPORAL_API_KEY_FILE) {
    out.apiKeyFile = e.LEPTON_DR_TEMPORAL_API_KEY_FILE;
    delete out.apiKeyEnv;
  }
  const files = {
    serverCaFile: e.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
    clientCertFile: e.TEMPORAL_TLS_CLIENT_CERT_PATH,
    clientKeyFile: e.TEMPORAL_TLS_CLIENT_KEY_PATH,
    serverName: e.TEMPORAL_TLS_SERVER_NAME,
  };
  const given = Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined));
  if (e.TEMPORAL_TLS === 'false' || e.TEMPORAL_TLS === '0') {
    out.tls = false;
  } else if (Object.keys(given).length > 0) {
    const base = out.tls && typeof out.tls === 'object' ? (out.tls as Record<string, unknown>) : {};
    out.tls = { ...base, ...given };
  } else if (e.TEMPORAL_TLS) {
    out.tls = out.tls && typeof out.tls === 'object' ? out.tls : true;
  }
  return out;
}
