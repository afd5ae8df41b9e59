/**
 * Trained models as versioned objects in the backup repository's store:
 * `models/<site>/<version>.json`, where a version is `v<UTC time to the ms>Z-<8 hex>` so that
 * the key order is the time order and the newest version is the last key. Artefacts are
 * immutable (a version is written once; a retried write puts the same bytes) and sealed with a
 * checksum (model.ts), so a cache keyed by version never goes stale.
 */
import { NotFoundError } from '../common/errors';
import { MODEL_PREFIX, modelDir, modelKey } from '../engine/repo/layout';
import type { BlobStore } from '../engine/store/blob-store';
import { loadModel, serialiseModel } from './model';
import type { PredictModel } from './model';

const VERSION_RE = /^v\d{8}T\d{9}Z-[0-9a-f]{8}$/;

export { MODEL_PREFIX, modelDir, modelKey };

export function isModelVersion(v: string): boolean {
  return VERSION_RE.test(v);
}

/** A sortable version name for a model trained at `atMs`; `salt` (hex) tells apart two trained the same ms. */
export function modelVersionAt(atMs: number, salt: string): string {
  const iso = new Date(atMs).toISOString(); // 2026-01-27T10:15:00.123Z
  const stamp = iso.replace(/[-:]/g, '').replace('.', '');
  const hex = (salt.toLowerCase().replace(/[^0-9a-f]/g, '') + '00000000').slice(0, 8);
  return `v${stamp}-${hex}`;
}

/** Versions of a site's models, oldest first. */
export async function listModelVersions(store: BlobStore, site: string): Promise<string[]> {
  const dir = modelDir(site);
  return (await store.list(dir))
    .map((o) => o.key.slice(dir.length))
    .filter((k) => k.endsWith('.json'))
    .map((k) => k.slice(0, -'.json'.length))
    .filter(isModelVersion)
    .sort();
}

export async function latestModelVersion(store: BlobStore, site: string): Promise<string | null> {
  const v = await listModelVersions(store, site);
  return v.length ? v[v.length - 1] : null;
}

export async function saveModel(store: BlobStore, site: string, version: string, model: PredictModel): Promise<{ key: string; bytes: number }> {
  const body = Buffer.from(serialiseModel(model));
  const key = modelKey(site, version);
  await store.put(key, body);
  return { key, bytes: body.length };
}

/** Loads and verifies a model version (NotFoundError, BadInputError, IntegrityError). */
export async function loadModelVersion(store: BlobStore, site: string, version: string): Promise<PredictModel> {
  const key = modelKey(site, version);
  if (!(await store.head(key))) throw new NotFoundError(`model ${version} of site ${site} not found (${key})`);
  return loadModel((await store.get(key)).toString('utf8'));
}

/** Deletes all but the newest `keep` versions; returns the deleted versions. */
export async function pruneModels(store: BlobStore, site: string, keep: number): Promise<string[]> {
  const v = await listModelVersions(store, site);
  const gone = v.slice(0, Math.max(0, v.length - keep));
  for (const x of gone) await store.delete(modelKey(site, x));
  return gone;
}

/** Verified models by site and version (immutable, so never stale); keeps the most recently used few. */
export class ModelCache {
  private readonly map = new Map<string, PredictModel>();
  constructor(private readonly max = 16) {}

  async get(store: BlobStore, site: string, version: string): Promise<PredictModel> {
    const k = modelKey(site, version);
    const hit = this.map.get(k);
    if (hit) {
      this.map.delete(k);
      this.map.set(k, hit);
      return hit;
    }
    const m = await loadModelVersion(store, site, version);
    this.map.set(k, m);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
    return m;
  }
}
