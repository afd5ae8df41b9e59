import { fileURLToPath } from 'node:url';
import { BadInputError } from '../../common/errors';
import type { RepositoryConfig } from '../../config/plan-schema';
import type { BlobStore } from './blob-store';
import { FsStore } from './fs-store';
import { S3Store, type S3Credentials } from './s3-store';

type Env = Record<string, string | undefined>;

/**
 * Explicit credentials for an endpoint, or undefined to let the SDK walk the standard chain (env,
 * shared config/profile, SSO, web identity, container and instance metadata). The engine knows
 * only the env's AWS_* variables; the worker adds the local stack's (worker/s3-credentials.ts).
 */
export type CredentialSource = (endpoint: string | undefined, env: Env) => S3Credentials | undefined;

export const envCredentials: CredentialSource = (_endpoint, env) =>
  env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined }
    : undefined;

/** The store behind a repository url: "s3://bucket[/prefix]" or "file:///absolute/path". */
export function openStore(
  repo: Pick<RepositoryConfig, 'url' | 'endpoint' | 'region' | 'pathStyle'>,
  env: Env = process.env,
  credentials: CredentialSource = envCredentials,
): BlobStore {
  const url = new URL(repo.url);
  if (url.protocol === 'file:') return new FsStore(fileURLToPath(url));
  if (url.protocol !== 's3:' || !url.hostname) {
    throw new BadInputError(`unsupported repository url ${repo.url}: use s3://bucket[/prefix] or file:///path`);
  }
  return new S3Store({
    bucket: url.hostname,
    prefix: decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, ''),
    endpoint: repo.endpoint,
    region: repo.region,
    forcePathStyle: repo.pathStyle,
    credentials: credentials(repo.endpoint, env),
  });
}
