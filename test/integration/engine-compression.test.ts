import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { IntegrityError } from '../../src/common/errors';
import { backupDirect, restoreDirect } from '../../src/engine/direct';
import { verifyRepository } from '../../src/engine/maintenance/verify';
import type { BlobLocation } from '../../src/engine/repo/chunk-index';
import { prune } from '../../src/engine/maintenance/prune';
import { DATA_PREFIX, snapshotKey } from '../../src/engine/repo/layout';
import { readPackHeader } from '../../src/engine/repo/pack';
import { Repository, type RepositoryOptions } from '../../src/engine/repo/repository';
import type { SnapshotManifest } from '../../src/engine/repo/snapshot';
import { FsStore } from '../../src/engine/store/fs-store';
import { describeTree, writeRandomFile } from '../helpers/tree-fixture';
import { engineScratch } from '../helpers/engine-scratch';

const scratch = engineScratch('ldr-zstd-');

const key = Buffer.alloc(32, 9);
const FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'repo-before-compression');

/** Training logs and configs: text that compresses several times over. */
function writeTextTree(root: string, files: number, linesEach: number): number {
  let bytes = 0;
  for (let f = 0; f < files; f++) {
    const dir = path.join(root, 'logs', `run-${f % 4}`);
    fs.mkdirSync(dir, { recursive: true });
    const text = Array.from(
      { length: linesEach },
      (_, i) => `epoch=${f} step=${i} loss=${(1 / (i + f + 1)).toFixed(6)} lr=0.0003 grad_norm=${(i % 13) / 7}\n`,
    ).join('');
    fs.writeFileSync(path.join(dir, `train-${f}.log`), text);
    bytes += text.length;
  }
  return bytes;
}

/** Bytes the repository's packs take in the store. */
async function packBytes(repo: Repository): Promise<number> {
  return (await repo.store.list(DATA_PREFIX)).reduce((s, o) => s + o.size, 0);
}

/** Every data blob's location, from the index of a file in the snapshot. */
async function fileLocations(repo: Repository, s: SnapshotManifest, file: string): Promise<BlobLocation[]> {
  const e = (await repo.loadTree(s)).find((x) => x.path === file);
  assert.ok(e && e.type === 'file', `${file} is in the snapshot`);
  const idx = await repo.loadIndex(true);
  return e.chunks.map((c) => idx.get(c) as BlobLocation);
}

async function backupAndRestore(name: string, src: string, opts: RepositoryOptions = {}): Promise<{ repo: Repository; snap: SnapshotManifest }> {
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, `${name}-repo`)), key, { create: true, ...opts });
  const snap = await backupDirect(repo, { asset: name, source: src, strategy: 'incremental' }, scratch.pool);
  const out = path.join(scratch.tmp, `${name}-out`);
  await restoreDirect(repo, { snapshot: { id: snap.id }, target: out });
  assert.deepEqual(describeTree(out), describeTree(src), 'the restored tree equals the source');
  const v = await verifyRepository(repo, { readData: 1 });
  assert.deepEqual(v.errors, []);
  return { repo, snap };
}

test('a new repository compresses by default: text round-trips and its packs are several times smaller than the data', async () => {
  const src = path.join(scratch.tmp, 'text-src');
  const raw = writeTextTree(src, 20, 3000);
  const { repo, snap } = await backupAndRestore('text', src);
  assert.equal(repo.config.compression, 'auto', 'recorded in the repository config');
  assert.equal(repo.compression, 'auto');
  const stored = await packBytes(repo);
  assert.ok(stored * 4 < raw, `packs ${stored} B for ${raw} B of text`);
  const locs = await fileLocations(repo, snap, 'logs/run-0/train-0.log');
  assert.ok(
    locs.every((l) => l.rawLength !== undefined && l.length < l.rawLength),
    'each text blob is stored compressed, its plaintext length recorded',
  );
  // the pack header carries the same record as the index
  const pack = locs[0].pack;
  const body = await repo.store.get(`${DATA_PREFIX}${pack.slice(0, 2)}/${pack}`);
  const entry = readPackHeader(body, pack).find((e) => e.offset === locs[0].offset);
  assert.equal(entry?.rawLength, locs[0].rawLength);
});

test('random data (model weights) is stored as is: no growth beyond a small overhead', async () => {
  const src = path.join(scratch.tmp, 'rand-src');
  fs.mkdirSync(src);
  const raw = 10 * 1024 * 1024;
  writeRandomFile(path.join(src, 'model.safetensors'), raw, 7);
  const { repo, snap } = await backupAndRestore('rand', src, { compression: 'auto' });
  const stored = await packBytes(repo);
  assert.ok(stored >= raw && stored < raw * 1.005 + 64 * 1024, `packs ${stored} B for ${raw} B of random data`);
  const locs = await fileLocations(repo, snap, 'model.safetensors');
  assert.ok(locs.length > 1 && locs.every((l) => l.rawLength === undefined), 'every random chunk is flagged as stored raw');
});

test('a mixed tree (weights and logs, max level) compresses only the blobs that shrink', async () => {
  const src = path.join(scratch.tmp, 'mixed-src');
  const text = writeTextTree(src, 6, 3000);
  fs.mkdirSync(path.join(src, 'ckpt'));
  const weights = 4 * 1024 * 1024;
  writeRandomFile(path.join(src, 'ckpt', 'model.safetensors'), weights, 8);
  // one file holding a compressible head then random bytes: each chunk decides on its own
  const half = Buffer.concat([Buffer.from('{"header":"'.padEnd(2 * 1024 * 1024, 'x')), randomBytes(2 * 1024 * 1024)]);
  fs.writeFileSync(path.join(src, 'ckpt', 'half.bin'), half);
  const { repo, snap } = await backupAndRestore('mixed', src, { compression: 'max' });
  const stored = await packBytes(repo);
  assert.ok(stored > weights + 2 * 1024 * 1024 && stored < weights + 2 * 1024 * 1024 + text / 4 + 256 * 1024, `packs ${stored} B`);
  assert.ok((await fileLocations(repo, snap, 'ckpt/model.safetensors')).every((l) => l.rawLength === undefined));
  assert.ok((await fileLocations(repo, snap, 'logs/run-1/train-1.log')).every((l) => l.rawLength !== undefined));
  const halfLocs = await fileLocations(repo, snap, 'ckpt/half.bin');
  assert.ok(
    halfLocs.some((l) => l.rawLength !== undefined) && halfLocs.some((l) => l.rawLength === undefined),
    'the compressible head is compressed, the random tail is not',
  );
});

test('compression off stores every blob as is', async () => {
  const src = path.join(scratch.tmp, 'text-src');
  const { repo } = await backupAndRestore('off', src, { compression: 'off' });
  assert.equal(repo.config.compression, 'off');
  for (const [, loc] of (await repo.loadIndex(true)).entries()) assert.equal(loc.rawLength, undefined);
});

test('encrypted and compressed: compressed before sealing (ciphertext does not compress), no plaintext in the store', async () => {
  const src = path.join(scratch.tmp, 'text-src');
  const raw = Number(
    fs
      .readdirSync(path.join(src, 'logs'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .reduce((s, e) => s + fs.statSync(path.join(e.parentPath, e.name)).size, 0),
  );
  const { repo, snap } = await backupAndRestore('enc', src, { password: 'pw' });
  assert.equal(repo.codec.encrypted, true);
  const stored = await packBytes(repo);
  assert.ok(stored * 4 < raw, `packs ${stored} B for ${raw} B of text`);
  const root = path.join(scratch.tmp, 'enc-repo', 'data');
  const needle = Buffer.from('grad_norm=');
  const anyClear = fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .some((e) => e.isFile() && fs.readFileSync(path.join(e.parentPath, e.name)).includes(needle));
  assert.equal(anyClear, false, 'no text in clear');
  assert.ok((await fileLocations(repo, snap, 'logs/run-2/train-2.log')).every((l) => l.rawLength !== undefined));
});

for (const kind of ['plain', 'encrypted'] as const) {
  test(`a ${kind} repository written before compression existed restores and verifies, and takes compressed snapshots after`, async () => {
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as {
      snapshots: Record<string, string>;
      files: Record<string, string>;
    };
    const root = path.join(scratch.tmp, `old-${kind}`);
    fs.cpSync(path.join(FIXTURE, kind), root, { recursive: true });
    const password = kind === 'encrypted' ? 'old format' : undefined;
    const repo = await Repository.open(new FsStore(root), key, { password });
    assert.equal(repo.config.compression, undefined, 'the old config has no compression setting');
    assert.equal(repo.compression, 'off', 'an old repository keeps writing as before unless told otherwise');
    for (const [, loc] of (await repo.loadIndex(true)).entries()) assert.equal(loc.rawLength, undefined);
    assert.deepEqual((await verifyRepository(repo, { readData: 1 })).errors, []);

    const check = async (r: Repository, target: string) => {
      await restoreDirect(r, { snapshot: { id: expected.snapshots[kind] }, target });
      for (const [file, sha] of Object.entries(expected.files))
        assert.equal(
          createHash('sha256')
            .update(fs.readFileSync(path.join(target, file)))
            .digest('hex'),
          sha,
          file,
        );
    };
    await check(repo, path.join(scratch.tmp, `old-${kind}-out`));

    // the same repository, now told to compress: new blobs compressed, old ones still read
    const src = path.join(scratch.tmp, `old-${kind}-src`);
    const text = writeTextTree(src, 4, 3000);
    const newer = await Repository.open(new FsStore(root), key, { password, compression: 'auto' });
    const before = await packBytes(newer);
    const s2 = await backupDirect(newer, { asset: 'old', source: src, strategy: 'incremental' }, scratch.pool);
    assert.ok((await packBytes(newer)) - before < text / 4, 'the new snapshot is stored compressed');
    await restoreDirect(newer, { snapshot: { id: s2.id }, target: path.join(scratch.tmp, `old-${kind}-out2`) });
    assert.deepEqual(describeTree(path.join(scratch.tmp, `old-${kind}-out2`)), describeTree(src));
    await check(newer, path.join(scratch.tmp, `old-${kind}-out3`));
    assert.deepEqual((await verifyRepository(newer, { readData: 1 })).errors, []);
  });
}

test('a corrupted compressed blob is reported by verify and refused by restore', async () => {
  const src = path.join(scratch.tmp, 'corrupt-src');
  writeTextTree(src, 3, 3000);
  const { repo, snap } = await backupAndRestore('corrupt', src);
  const [loc] = await fileLocations(repo, snap, 'logs/run-1/train-1.log');
  assert.ok(loc.rawLength !== undefined);
  const packFile = path.join(scratch.tmp, 'corrupt-repo', 'data', loc.pack.slice(0, 2), loc.pack);
  const body = fs.readFileSync(packFile);
  body[loc.offset + Math.floor(loc.length / 2)] ^= 0x55;
  fs.writeFileSync(packFile, body);
  const v = await verifyRepository(repo, { readData: 1 });
  assert.ok(
    v.errors.some((e) => /decompress|SHA-256 check/.test(e)),
    v.errors.join('\n'),
  );
  await assert.rejects(
    restoreDirect(repo, { snapshot: { id: snap.id }, target: path.join(scratch.tmp, 'corrupt-out2') }),
    (e: Error) => e instanceof IntegrityError && e.message.includes('logs/run-1/train-1.log'),
  );
});

test('an index entry that misstates the plaintext length is caught (decompressed length is checked)', async () => {
  const src = path.join(scratch.tmp, 'len-src');
  writeTextTree(src, 1, 2000);
  const { repo, snap } = await backupAndRestore('len', src);
  const [loc] = await fileLocations(repo, snap, 'logs/run-0/train-0.log');
  assert.ok(loc.rawLength !== undefined);
  const body = await repo.store.get(`${DATA_PREFIX}${loc.pack.slice(0, 2)}/${loc.pack}`);
  const stored = body.subarray(loc.offset, loc.offset + loc.length);
  const entry = (await repo.loadTree(snap)).find((e) => e.path === 'logs/run-0/train-0.log');
  assert.ok(entry && entry.type === 'file');
  const id = entry.chunks[0];
  assert.doesNotThrow(() => repo.checkBlob(id, stored, 'blob', loc.rawLength));
  assert.throws(
    () => repo.checkBlob(id, stored, 'blob', loc.rawLength! - 1),
    (e: Error) => e instanceof IntegrityError && /decompress/.test(e.message),
  );
  assert.throws(
    () => repo.checkBlob(id, stored, 'blob', loc.rawLength! + 1),
    (e: Error) => e instanceof IntegrityError && /decompresses to/.test(e.message),
  );
  assert.throws(
    () => repo.checkBlob(id, stored, 'blob'),
    (e: Error) => e instanceof IntegrityError && /SHA-256/.test(e.message),
  );
});

test('prune rewrites the index keeping each blob compression record: what it keeps still restores and verifies', async () => {
  const a = path.join(scratch.tmp, 'prune-a');
  const b = path.join(scratch.tmp, 'prune-b');
  writeTextTree(a, 2, 2000);
  writeTextTree(b, 3, 2500);
  const repo = await Repository.open(new FsStore(path.join(scratch.tmp, 'prune-repo')), key, { create: true });
  const old = await backupDirect(repo, { asset: 'p', source: a, strategy: 'incremental' }, scratch.pool);
  const kept = await backupDirect(repo, { asset: 'q', source: b, strategy: 'incremental' }, scratch.pool);
  await repo.store.delete(snapshotKey(old.id));
  const now = Date.now();
  await prune(repo, { graceMs: 0, minGraceMs: 0, now: new Date(now) });
  const second = await prune(repo, { graceMs: 0, minGraceMs: 0, now: new Date(now + 1000) });
  assert.ok(second.deleted.length >= 1, 'the forgotten snapshot packs are deleted (the index is rewritten)');
  const reopened = await Repository.open(new FsStore(path.join(scratch.tmp, 'prune-repo')), key, {});
  assert.ok((await fileLocations(reopened, kept, 'logs/run-0/train-0.log')).every((l) => l.rawLength !== undefined));
  await restoreDirect(reopened, { snapshot: { id: kept.id }, target: path.join(scratch.tmp, 'prune-out') });
  assert.deepEqual(describeTree(path.join(scratch.tmp, 'prune-out')), describeTree(b));
  assert.deepEqual((await verifyRepository(reopened, { readData: 1 })).errors, []);
});
