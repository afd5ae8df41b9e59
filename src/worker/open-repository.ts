import fs from 'node:fs';
import { BadInputError } from '../common/errors';
import type { Plan } from '../config/plan-schema';
import { loadKey } from '../engine/repo/keys';
import { Repository } from '../engine/repo/repository';
import { CONFIG_KEY } from '../engine/repo/layout';
import { openStore } from '../engine/store/open-store';
import { ensureBucket } from '../engine/store/s3-store';
import { S3Store } from '../engine/store/s3-store';
import { s3Credentials } from './s3-credentials';

function loadPassword(plan: Plan, env: NodeJS.ProcessEnv): string | undefined {
  const r = plan.repository;
  if (r.passwordEnv) {
    const v = env[r.passwordEnv];
    if (!v) throw new BadInputError(`repository.passwordEnv: environment variable ${r.passwordEnv} is not set`);
    return v;
  }
  if (r.passwordFile) {
    if (!fs.existsSync(r.passwordFile)) throw new BadInputError(`repository.passwordFile: ${r.passwordFile} does not exist`);
    return fs.readFileSync(r.passwordFile, 'utf8').trim();
  }
  return undefined;
}

/** Open (creating on first use) the plan's repository; the key is only created with a new repository. */
export async function openRepository(plan: Plan, env: NodeJS.ProcessEnv = process.env): Promise<Repository> {
  const store = openStore(plan.repository, env, s3Credentials);
  if (store instanceof S3Store) await ensureBucket(store.client, store.bucket);
  const fresh = !(await store.head(CONFIG_KEY));
  let key: Buffer;
  try {
    key = loadKey(plan.repository, env, fresh);
  } catch (e) {
    if (e instanceof BadInputError && !fresh) throw new BadInputError(`${e.message}; the repository at ${store.url} exists, so its key is needed`);
    throw e;
  }
  return Repository.open(store, key, { create: fresh, packSize: plan.repository.packSizeMiB * 1024 * 1024, password: loadPassword(plan, env) });
}
