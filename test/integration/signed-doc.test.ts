import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { IntegrityError } from '../../src/common/errors';
import { commitBackup } from '../../src/engine/backup/commit-backup';
import { planBackup } from '../../src/engine/backup/plan-backup';
import { runBackupBatch } from '../../src/engine/backup/run-batch';
import { backupDirect } from '../../src/engine/direct';
import { backupTmpPrefix } from '../../src/engine/repo/layout';
import { sign } from '../../src/engine/repo/keys';
import { Repository } from '../../src/engine/repo/repository';
import { parseSignedJson, readSignedJson, unverifiedBody, writeSignedJson } from '../../src/engine/repo/signed-doc';
import { FsStore } from '../../src/engine/store/fs-store';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-signed-doc-');
const key = Buffer.alloc(32, 7);
const Doc = z.object({ v: z.literal(1), name: z.string(), items: z.array(z.number()) });
const doc = { v: 1 as const, name: 'caf\u00e9 "quoted" \\ \u0000 \u{1f600}', items: [1, 2, 3] };

/** The envelope every release before this one wrote (gzipped JSON `{body, sig}`, sig in hex): kept here to prove it is still read. */
function oldFormat(signingKey: Buffer, objectKey: string, value: unknown, gzip = true): Buffer {
  const body = JSON.stringify(value);
  const text = JSON.stringify({ body, sig: sign(signingKey, `${objectKey}\u0000${body}`) });
  return gzip ? gzipSync(text, { level: 1 }) : Buffer.from(text);
}

let n = 0;
function fresh(): { store: FsStore; repo: { store: FsStore; key: Buffer } } {
  const store = new FsStore(path.join(scratch.tmp, `repo-${n++}`));
  return { store, repo: { store, key } };
}

const refused = (pattern: RegExp) => (e: unknown) => e instanceof IntegrityError && pattern.test(e.message);
const NOT_SIGNED = /signature does not match \(written without the repository key, or moved from another name\)/;
const UNREADABLE = /not a readable signed document/;

test('a signed document reads back; it is stored in the current envelope, not as gzip or JSON', async () => {
  const { store, repo } = fresh();
  await writeSignedJson(repo, 'tmp/a.json', doc);
  const raw = await store.get('tmp/a.json');
  assert.deepEqual([...raw.subarray(0, 4)], [0x89, 0x4c, 0x53, 0x01]);
  assert.deepEqual(await readSignedJson(repo, 'tmp/a.json', Doc), doc);
  assert.deepEqual(unverifiedBody(raw), doc);
});

test('documents in the old envelope (gzipped or plain JSON) written by an older release still read', async () => {
  const { store, repo } = fresh();
  await store.put('tmp/old.json', oldFormat(key, 'tmp/old.json', doc));
  await store.put('tmp/plain.json', oldFormat(key, 'tmp/plain.json', doc, false));
  assert.deepEqual(await readSignedJson(repo, 'tmp/old.json', Doc), doc);
  assert.deepEqual(await readSignedJson(repo, 'tmp/plain.json', Doc), doc);
  assert.deepEqual(unverifiedBody(await store.get('tmp/old.json')), doc);
  assert.deepEqual(unverifiedBody(await store.get('tmp/plain.json')), doc);
  // and they are refused as before when moved, forged, or unsigned
  await store.put('tmp/moved.json', await store.get('tmp/old.json'));
  await assert.rejects(readSignedJson(repo, 'tmp/moved.json', Doc), refused(NOT_SIGNED));
  await store.put('tmp/forged.json', oldFormat(Buffer.alloc(32, 9), 'tmp/forged.json', doc));
  await assert.rejects(readSignedJson(repo, 'tmp/forged.json', Doc), refused(NOT_SIGNED));
  await store.put('tmp/bare.json', gzipSync(JSON.stringify(doc)));
  await assert.rejects(readSignedJson(repo, 'tmp/bare.json', Doc), refused(/carries no signature/));
});

test('a current document moved, forged, or with any byte of its signature or body changed is refused', async () => {
  const { store, repo } = fresh();
  await writeSignedJson(repo, 'tmp/a.json', doc);
  const raw = await store.get('tmp/a.json');
  await store.put('tmp/b.json', raw);
  await assert.rejects(readSignedJson(repo, 'tmp/b.json', Doc), refused(NOT_SIGNED));
  await writeSignedJson({ store, key: Buffer.alloc(32, 9) }, 'tmp/c.json', doc);
  await assert.rejects(readSignedJson(repo, 'tmp/c.json', Doc), refused(NOT_SIGNED));
  const sigFlipped = Buffer.from(raw);
  sigFlipped[4 + 17] ^= 1;
  await store.put('tmp/a.json', sigFlipped);
  await assert.rejects(readSignedJson(repo, 'tmp/a.json', Doc), refused(NOT_SIGNED));
  // a different body under the genuine signature: re-enveloped from a document of the same length
  await writeSignedJson(repo, 'tmp/other.json', { ...doc, items: [1, 2, 4] });
  const other = await store.get('tmp/other.json');
  await store.put('tmp/a.json', Buffer.concat([raw.subarray(0, 36), other.subarray(36)]));
  await assert.rejects(readSignedJson(repo, 'tmp/a.json', Doc), refused(NOT_SIGNED));
});

test('a truncated current document is refused at every length', async () => {
  const { store, repo } = fresh();
  await writeSignedJson(repo, 'tmp/a.json', { ...doc, items: Array.from({ length: 500 }, (_, i) => i * 7919) });
  const raw = await store.get('tmp/a.json');
  for (let len = 0; len < raw.length; len++) {
    const cut = raw.subarray(0, len);
    assert.throws(() => parseSignedJson(key, 'tmp/a.json', cut, Doc), refused(UNREADABLE), `cut at ${len} of ${raw.length}`);
    assert.throws(() => unverifiedBody(cut), `unverifiedBody, cut at ${len}`);
  }
  await store.put('tmp/a.json', raw.subarray(0, raw.length - 1));
  await assert.rejects(readSignedJson(repo, 'tmp/a.json', Doc), refused(UNREADABLE));
});

test('a signed document that fails its schema is refused naming the field', async () => {
  const { repo } = fresh();
  await writeSignedJson(repo, 'tmp/a.json', { ...doc, items: [1, 'two'] });
  await assert.rejects(readSignedJson(repo, 'tmp/a.json', Doc), refused(/tmp\/a\.json: malformed \(items\.1: /));
});

test('a backup whose work list an older worker wrote (old envelope) is finished by this one', async () => {
  const root = path.join(scratch.tmp, 'upgrade');
  const src = path.join(root, 'src');
  fs.mkdirSync(path.join(src, 'd'), { recursive: true });
  for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(src, 'd', `f${i}.txt`), `file ${i} `.repeat(50 + i));
  const store = new FsStore(path.join(root, 'repo'));
  const repo = await Repository.open(store, key, { create: true });
  await backupDirect(repo, { asset: 'a', source: src, strategy: 'full' });
  fs.writeFileSync(path.join(src, 'd', 'f3.txt'), 'changed');
  const plan = await planBackup(repo, { backupId: 'up', snapshotId: '3'.repeat(32), asset: 'a', source: src, strategy: 'incremental', pageEntries: 8 });
  // rewrite the whole work list (plan, its entry pages, batches) as the older release wrote it
  const keys = (await store.list(backupTmpPrefix('up'))).map((o) => o.key);
  assert.ok(keys.some((k) => /entries-\d+\.json$/.test(k)) && keys.some((k) => /batch/.test(k)), keys.join(' '));
  for (const k of keys) await store.put(k, oldFormat(key, k, unverifiedBody(await store.get(k))));
  for (let b = 0; b < plan.batches; b++) await runBackupBatch(repo, { backupId: 'up', batch: b });
  const m = await commitBackup(repo, 'up');
  assert.equal(m.stats.filesUnchanged, 29);
  const tree = await repo.loadTree(m);
  assert.equal(tree.filter((e) => e.type === 'file').length, 30);
});
