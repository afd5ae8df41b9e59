import type { S3Endpoint } from '../../config/plan-schema';
import type { TokenBucket } from '../limits/token-bucket';
import { FsSource } from './fs-source';
import type { BackupSource } from './source';

/**
 * The source behind an asset's `source`: s3://bucket/prefix (with its connection) or a folder
 * path. An S3 source's reads pass the `download` buckets; a folder is local disk, not limited.
 * The S3 modules (and the AWS SDK with them) load only for an S3 source.
 */
export async function openSource(
  url: string,
  s3?: Partial<S3Endpoint>,
  env: Record<string, string | undefined> = process.env,
  download: readonly TokenBucket[] = [],
): Promise<BackupSource> {
  if (!url.startsWith('s3://')) return new FsSource(url);
  const [{ S3Source }, { openS3Location }] = await Promise.all([import('./s3-source'), import('./s3-location')]);
  return new S3Source(openS3Location(url, s3, env), download);
}
