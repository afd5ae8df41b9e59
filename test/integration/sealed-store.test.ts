import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Repository } from '../../src/engine/repo/repository';
import { sealedStore } from '../../src/engine/repo/sealed-store';
import { FsStore } from '../../src/engine/store/fs-store';
import { loadModelVersion, modelKey, modelVersionAt, saveModel } from '../../src/predict/model-store';
import { trainModel } from '../../src/predict/train';

let tmp: string;
before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-sealed-'))));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const history = () => {
  const cpu = Array.from({ length: 600 }, (_, i) => ({ t: i * 300_000, v: 40 + 10 * Math.sin((2 * Math.PI * i) / 288) + (i % 7) }));
  return { gpu_memory_used_bytes: cpu };
};

test('model artefacts in an encrypted repository are sealed: no model JSON, no series names in the bucket', async () => {
  const store = new FsStore(path.join(tmp, 'enc'));
  const repo = await Repository.open(store, Buffer.alloc(32, 4), { create: true, password: 'model secrets' });
  const model = trainModel(history(), { stepMs: 300_000, createdAt: '2026-12-01T00:00:00.000Z' });
  const version = modelVersionAt(Date.parse('2026-12-01T00:00:00.000Z'), 'ab');
  await saveModel(sealedStore(repo), 'eu-west', version, model);
  const raw = await store.get(modelKey('eu-west', version));
  assert.equal(raw.includes('gpu_memory_used_bytes'), false, 'the stored bytes are ciphertext');
  assert.deepEqual(await loadModelVersion(sealedStore(repo), 'eu-west', version), model);
  // a flipped byte is caught by AES-GCM, not read as a model
  raw[raw.length - 20] ^= 1;
  await store.put(modelKey('eu-west', version), raw);
  await assert.rejects(loadModelVersion(sealedStore(repo), 'eu-west', version), /AES-GCM authentication/);
});

test('in a plain repository the sealed view is the store itself', async () => {
  const repo = await Repository.open(new FsStore(path.join(tmp, 'plain')), Buffer.alloc(32, 4), { create: true });
  assert.equal(sealedStore(repo), repo.store);
});
