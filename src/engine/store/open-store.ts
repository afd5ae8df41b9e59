import { fileURLToPath } from 'node:url';
import { BadInputError } from '../../common/errors';
import { LOCAL_STACK } from '../../config/local-stack';
import type { RepositoryConfig } from '../../config/plan-schema';
import type { BlobStore } from './blob-store';
import { FsStore } from './fs-store';
import { S3Credentials, S3Store } from './s3-store';

type Env = Record<string, string | undefined>;

function sameEndpoint(a: string, b: string): boolean {
  const norm = (u: string) => {
    const url = new URL(u);
    const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
    return `${url.protocol}//${host}:${url.port}`;
  };
  try {
    return norm(a) === norm(b);
  } catch {
    return false;
  }
}

/**
 * Explicit credentials only when the caller's env holds them or the endpoint is the embedded
 * local SeaweedFS; otherwise undefined, which lets the SDK walk the standard chain (env,
 * shared config/profile, SSO, web identity, container and instance metadata).
 */
export function s3Credentials(endpoint: string | undefined, env: Env): S3Credentials | undefined {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    };
  }
  if (endpoint && !env.AWS_PROFILE && sameEndpoint(endpoint, LOCAL_STACK.s3Endpoint)) {
    return { accessKeyId: LOCAL_STACK.accessKeyId, secretAccessKey: LOCAL_STACK.secretAccessKey };
  }
  return undefined;
}

/** The store behind a repository url: "s3://bucket[/prefix]" or "file:///absolute/path". */
export function openStore(repo: Pick<RepositoryConfig, 'url' | 'endpoint' | 'region' | 'pathStyle'>, env: Env = process.env): BlobStore {
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
    credentials: s3Credentials(repo.endpoint, env),
  });
}
