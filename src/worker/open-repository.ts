import fs from 'node:fs';
import { BadInputError } from '../common/errors';
import type { Plan, RepositoryConfig } from '../config/plan-schema';
import { loadKey } from '../engine/repo/keys';
import { Repository } from '../engine/repo/repository';
import { CONFIG_KEY } from '../engine/repo/layout';
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

/** Open (creating on first use) a configured repository; the key is only created with a new repository. */
export async function openConfiguredRepository(r: RepositoryConfig, env: NodeJS.ProcessEnv, field: string): Promise<Repository> {
  const raw = openStore(r, env, s3Credentials);
  if (raw instanceof S3Store) await ensureBucket(raw.client, raw.bucket);
  // the limits wrap the store once per process: all of its batches share them
  const store = limitStore(raw, r.limits);
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
