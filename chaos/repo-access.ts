import fs from 'node:fs';
import { loadKey } from '../src/engine/repo/keys';
import { Repository } from '../src/engine/repo/repository';
import { openStore } from '../src/engine/store/open-store';
import type { Seaweed } from '../test/helpers/seaweed';
import { BUCKET, REPO_PREFIX } from './cluster';
import type { Rng } from './rng';
import { SlowStore } from './slow-store';

/**
 * The harness's own way into the repository: straight to SeaweedFS (never through the fault
 * proxy), a fresh Repository (no index cached from an earlier look) each time.
 */
export async function openDirect(seaweed: Seaweed, keyFile: string, latency?: Rng): Promise<Repository> {
  const direct = openStore(
    { url: `s3://${BUCKET}/${REPO_PREFIX}`, endpoint: seaweed.endpoint, region: seaweed.region, pathStyle: true },
    { ...process.env, ...seaweed.env },
  );
  const store = latency ? new SlowStore(direct, latency) : direct;
  if (!fs.existsSync(keyFile)) throw new Error(`no repository key at ${keyFile} yet (no backup ran?)`);
  return Repository.open(store, loadKey({ keyFile }), { packSize: 4 * 1024 * 1024 });
}
