import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client, S3Store } from '../../src/engine/store/s3-store';
import type { PutOptions } from '../../src/engine/store/blob-store';
import { startSeaweed, type Seaweed } from './seaweed';

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What an append-only backup worker needs: read, write, list, and set retention; no s3:DeleteObject. */
const APPEND_ONLY_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:ListBucket',
  's3:GetObjectRetention',
  's3:PutObjectRetention',
  's3:GetBucketObjectLockConfiguration',
];

export interface LockSeaweed extends Seaweed {
  /** a bucket created with Object Lock enabled (versioning on) */
  lockedBucket: string;
  /** an identity whose policy allows everything a backup needs but no delete */
  appender: Credential;
  admin: Credential;
  /** an S3Store on the server for a bucket and prefix, with the given credential */
  store(bucket: string, prefix: string, who: Credential): S3Store;
}

/**
 * SeaweedFS with two identities from an `-s3.config` file (SeaweedFS 4.48 evaluates the IAM
 * policies an identity names): the admin the helpers use, and an "appender" that may read,
 * write and list but not delete. Plus a bucket created with Object Lock.
 */
export async function startLockSeaweed(): Promise<LockSeaweed> {
  const admin = { accessKeyId: 'lepton-test-key', secretAccessKey: 'lepton-test-secret' };
  const appender = { accessKeyId: 'lepton-appender-key', secretAccessKey: 'lepton-appender-secret' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-s3cfg-'));
  const config = path.join(dir, 's3.json');
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: APPEND_ONLY_ACTIONS, Resource: ['arn:aws:s3:::*'] }] };
  fs.writeFileSync(
    config,
    JSON.stringify({
      identities: [
        {
          name: 'admin',
          credentials: [{ accessKey: admin.accessKeyId, secretKey: admin.secretAccessKey }],
          actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
        },
        { name: 'appender', credentials: [{ accessKey: appender.accessKeyId, secretKey: appender.secretAccessKey }], policyNames: ['append-only'] },
      ],
      policies: [{ name: 'append-only', content: JSON.stringify(policy) }],
    }),
  );
  const weed = await startSeaweed({ ...admin, extraArgs: [`-s3.config=${config}`] });
  const lockedBucket = 'lepton-locked';
  const client = createS3Client({ endpoint: weed.endpoint, region: weed.region, forcePathStyle: true, credentials: admin });
  try {
    await client.send(new CreateBucketCommand({ Bucket: lockedBucket, ObjectLockEnabledForBucket: true }));
  } finally {
    client.destroy();
  }
  const stop = weed.stop;
  return {
    ...weed,
    lockedBucket,
    appender,
    admin,
    store: (bucket, prefix, who) => new S3Store({ bucket, prefix, endpoint: weed.endpoint, region: weed.region, forcePathStyle: true, credentials: who }),
    stop: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A store that accepts a retention and quietly drops it: what some S3-compatible servers do. */
export class RetentionDroppingStore extends S3Store {
  override put(key: string, body: Buffer, opts: PutOptions = {}): Promise<void> {
    return super.put(key, body, { ...opts, lock: undefined });
  }
}
