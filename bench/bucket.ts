import { S3Store } from '../src/engine/store/s3-store';
import type { Seaweed } from '../test/helpers/seaweed';

/** Bytes and objects stored under one prefix of the bench bucket (what a tool really keeps). */
export async function bucketUsage(sw: Seaweed, prefix: string): Promise<{ bytes: number; objects: number }> {
  const store = new S3Store({
    endpoint: sw.endpoint,
    region: sw.region,
    bucket: sw.bucket,
    prefix,
    forcePathStyle: true,
    credentials: { accessKeyId: sw.accessKeyId, secretAccessKey: sw.secretAccessKey },
  });
  try {
    const objs = await store.list('');
    return { bytes: objs.reduce((s, o) => s + o.size, 0), objects: objs.length };
  } finally {
    store.destroy();
  }
}
