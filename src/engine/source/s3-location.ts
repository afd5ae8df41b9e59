import type { S3Client } from '@aws-sdk/client-s3';
import { BadInputError } from '../../common/errors';
import { S3EndpointSchema, type S3Endpoint } from '../../config/plan-schema';
import { envCredentials } from '../store/open-store';
import { createS3Client, type S3Credentials } from '../store/s3-store';

type Env = Record<string, string | undefined>;

/** A bucket prefix and the client that reaches it. `prefix` is "" or ends with "/". */
export interface S3Location {
  url: string;
  bucket: string;
  prefix: string;
  client: S3Client;
}

/** "s3://bucket/a/b" -> bucket and "a/b/" (a prefix is a folder: keys under it are paths). */
export function parseS3Url(url: string, field = 'source'): { bucket: string; prefix: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BadInputError(`${field}: "${url}" is not a URL`);
  }
  if (u.protocol !== 's3:' || !u.hostname) throw new BadInputError(`${field}: "${url}" must be s3://bucket[/prefix]`);
  const p = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
  return { bucket: u.hostname, prefix: p ? `${p}/` : '' };
}

function credentials(c: S3Endpoint, env: Env, field: string): S3Credentials | undefined {
  if (!c.accessKeyIdEnv || !c.secretAccessKeyEnv) return envCredentials(c.endpoint, env);
  const accessKeyId = env[c.accessKeyIdEnv];
  const secretAccessKey = env[c.secretAccessKeyEnv];
  if (!accessKeyId) throw new BadInputError(`${field}.accessKeyIdEnv: the worker's environment has no ${c.accessKeyIdEnv}`);
  if (!secretAccessKey) throw new BadInputError(`${field}.secretAccessKeyEnv: the worker's environment has no ${c.secretAccessKeyEnv}`);
  return { accessKeyId, secretAccessKey, sessionToken: c.sessionTokenEnv ? env[c.sessionTokenEnv] || undefined : undefined };
}

/** Open an s3:// url with its connection settings; the client is built where the repository's is (store/s3-store.ts). */
export function openS3Location(url: string, conn: Partial<S3Endpoint> = {}, env: Env = process.env, field = 'source'): S3Location {
  const parsed = S3EndpointSchema.safeParse(conn);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new BadInputError(`${field}.${i.path.join('.')}: ${i.message}`);
  }
  const c = parsed.data;
  const client = createS3Client({ endpoint: c.endpoint, region: c.region, forcePathStyle: c.pathStyle, credentials: credentials(c, env, field) });
  return { url, ...parseS3Url(url, field), client };
}
