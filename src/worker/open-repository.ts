import fs from 'node:fs';
import { BadInputError } from '../common/errors';
import { logger } from '../common/logger';
import { parseDurationMs } from '../common/schema-primitives';
import type { Plan, RepositoryConfig } from '../config/plan-schema';
import { loadKey } from '../engine/repo/keys';
import { Repository } from '../engine/repo/repository';
import { CONFIG_KEY } from '../engine/repo/layout';
import { AppendOnlyStore } from '../engine/store/append-only';
import type { BlobStore } from '../engine/store/blob-store';
import { checkLockEnforcement } from '../engine/store/lock-canary';
import { ObjectLockStore } from '../engine/store/object-lock';
import { limitStore } from '../engine/limits/host-limits';
import { openStore } from '../engine/store/open-store';
import { ensureBucket } from '../engine/store/s3-store';
import { S3Store } from '../engine/store/s3-store';
import { s3Credentials } from './s3-credentials';

/** `field` names the config section in messages ("repository", "copyTargets.dr-east"). */
function loadPassword(r: RepositoryConfig, env: NodeJS.ProcessEnv, field: string): string | undefined {
  if (r.passwordEnv) {
    const v = env[r.passwordEnv];
    if (!v) throw new BadInputError(`${field}.passwordEnv: environment variable ${r.passwordEnv} is not set`);
    return v;
  }
  if (r.passwordFile) {
    if (!fs.existsSync(r.passwordFile)) throw new BadInputError(`${field}.passwordFile: ${r.passwordFile} does not exist`);
    return fs.readFileSync(r.passwordFile, 'utf8').trim();
  }
  return undefined;
}

/**
 * The store with the plan's protections: Object Lock on what must survive (checked by a canary
 * before anything is claimed), then, for a credential without delete rights, a wrapper that
 * refuses every delete before it is sent.
 */
async function protectedStore(r: RepositoryConfig, store: BlobStore, field: string): Promise<BlobStore> {
  let out = store;
  if (r.immutability) {
    if (!(store instanceof S3Store)) throw new BadInputError(`${field}.immutability: needs an s3:// repository on a bucket with Object Lock enabled`);
    const locked = new ObjectLockStore(store, {
      retentionMs: parseDurationMs(r.immutability.retention) ?? 0,
      mode: r.immutability.mode === 'compliance' ? 'COMPLIANCE' : 'GOVERNANCE',
    });
    locked.enforcement = await checkLockEnforcement(locked, { appendOnly: r.appendOnly === true, section: field });
    const log = logger().child({ component: 'repository', repository: store.url });
    if (locked.enforcement.status === 'enforced')
      log.info({ retention: r.immutability.retention, mode: r.immutability.mode }, 'object lock enforced by the store (canary delete refused)');
    else log.warn({ reason: locked.enforcement.reason }, 'object lock not verified from this worker');
    out = locked;
  }
  return r.appendOnly ? new AppendOnlyStore(out) : out;
}

/** Open (creating on first use) a configured repository; the key is only created with a new repository. */
export async function openConfiguredRepository(r: RepositoryConfig, env: NodeJS.ProcessEnv, field: string): Promise<Repository> {
  const raw = openStore(r, env, s3Credentials);
  if (raw instanceof S3Store) await ensureBucket(raw.client, raw.bucket);
  // the limits wrap the protected store once per process: all of its batches share them
  const store = limitStore(await protectedStore(r, raw, field), r.limits);
  const fresh = !(await store.head(CONFIG_KEY));
  let key: Buffer;
  try {
    key = loadKey(r, env, fresh);
  } catch (e) {
    if (!(e instanceof BadInputError)) throw e;
    // loadKey names the main repository's section; a copy target's is another
    const message = field === 'repository' ? e.message : e.message.replace(/^repository/, field);
    throw new BadInputError(fresh ? message : `${message}; the repository at ${store.url} exists, so its key is needed`);
  }
  return Repository.open(store, key, {
    create: fresh,
    packSize: r.packSizeMiB * 1024 * 1024,
    password: loadPassword(r, env, field),
    compression: r.compression,
  });
}

/** Open (creating on first use) the plan's repository. */
export const openRepository = (plan: Plan, env: NodeJS.ProcessEnv = process.env): Promise<Repository> =>
  openConfiguredRepository(plan.repository, env, 'repository');
