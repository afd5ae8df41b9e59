import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ChunkPool } from '../../src/engine/chunker/pool';
import { backupDirect } from '../../src/engine/direct';
import { parseIndexFile } from '../../src/engine/repo/chunk-index';
import { INDEX_PREFIX, indexKey } from '../../src/engine/repo/layout';
import { sha256hex } from '../../src/engine/repo/pack';
import { Repository } from '../../src/engine/repo/repository';
import type { BlobStore, ByteRange, ObjectInfo, PutOptions } from '../../src/engine/store/blob-store';
import { ForwardingStore } from '../../src/engine/store/forwarding-store';
import { FsStore } from '../../src/engine/store/fs-store';
import { openStore } from '../../src/engine/store/open-store';
import { startSeaweed, type Seaweed } from '../helpers/seaweed';
import { makeAssetTree } from '../helpers/tree-fixture';

/**
 * A backup of a source that did not change since its parent costs a fixed, small number of
 * object-store round trips on a real S3 store: each prefix is listed only as often as the
 * prune-safety protocol needs (pack-safety.ts), and the config is read once.
 */
const key = Buffer.alloc(32, 5);
let seaweed: Seaweed;
let pool: ChunkPool;
let tmp: string;

before(async () => {
  seaweed = await startSeaweed({ bucket: 'nochange-ops' });
  pool = new ChunkPool(2);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-nochange-'));
});
after(async () => {
  await pool?.close();
  await seaweed?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

type Op = 'list' | 'get' | 'head' | 'put' | 'delete';

/** The kind of object a key names: its prefix, with a backup's work documents grouped by what they are. */
function prefixOf(k: string): string {
  if (k.startsWith('tmp/backups/')) return `tmp/backups/${/\/([a-z]+)(-\d+)?\.json$/.exec(k)?.[1] ?? '*'}`;
  if (k.startsWith('prune/marks/')) return 'prune/marks/';
  const slash = k.indexOf('/');
  return slash < 0 ? k : k.slice(0, slash + 1);
}

/** Counts every call by operation and key prefix. */
class OpCounter extends ForwardingStore {
  readonly counts = new Map<string, number>();
  private count(op: Op, k: string): void {
    const name = `${op} ${prefixOf(k)}`;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  override put(k: string, body: Buffer, opts?: PutOptions): Promise<void> {
    this.count('put', k);
    return super.put(k, body, opts);
  }
  override get(k: string, range?: ByteRange): Promise<Buffer> {
    this.count('get', k);
    return super.get(k, range);
  }
  override head(k: string): Promise<ObjectInfo | undefined> {
    this.count('head', k);
    return super.head(k);
  }
  override list(prefix: string): Promise<ObjectInfo[]> {
    this.count('list', prefix);
    return super.list(prefix);
  }
  override delete(k: string): Promise<void> {
    this.count('delete', k);
    return super.delete(k);
  }
  reset(): void {
    this.counts.clear();
  }
  of(op: Op): Record<string, number> {
    return Object.fromEntries([...this.counts].filter(([n]) => n.startsWith(`${op} `)).map(([n, c]) => [n.slice(op.length + 1), c]));
  }
}

test('a no-change backup lists each prefix only as often as the protocol needs and reads the config once', async () => {
  const src = path.join(tmp, 'src');
  makeAssetTree(src, { largeFiles: 1, largeSize: 2 * 1024 * 1024, smallFiles: 300 });
  const inner: BlobStore = openStore(seaweed.repository('ops'), seaweed.env);
  const store = new OpCounter(inner);
  const repo = await Repository.open(store, key, { create: true, packSize: 1024 * 1024 });
  const first = await backupDirect(repo, { asset: 'ops', source: src, strategy: 'incremental' }, pool);

  // a fresh handle, as a new worker process opens it: nothing cached from the first backup
  store.reset();
  const again = await Repository.open(store, key);
  const same = await backupDirect(again, { asset: 'ops', source: src, strategy: 'incremental' }, pool);
  assert.equal(same.parent, first.id);
  assert.deepEqual(same.tree, first.tree);
  assert.equal(same.stats.packsWritten, 0);
  const ops = Object.fromEntries(['list', 'get', 'head', 'put', 'delete'].map((op) => [op, store.of(op as Op)]));
  console.log(`no-change backup store operations: ${JSON.stringify(ops)}`);

  assert.deepEqual(
    store.of('list'),
    {
      // the parent's choice
      'snapshots/': 1,
      // the plan reads the parent's tree through it; each of the commit's two readings (the file
      // chunks before the snapshot, its tree blobs after) refreshes it beside its marks and packs
      'index/': 3,
      // once per reading: the pack uploader of the tree blobs shares the first one's marks
      'prune/marks/': 2,
      'data/': 2,
      // the work list's cleanup
      'tmp/backups/*': 1,
    },
    'each prefix is listed only as often as the protocol needs',
  );
  assert.equal(store.of('put')['index/'], undefined, 'no index object is written');
  assert.equal(store.of('get')['config'], 1, 'the config is read once, without a head first');
  assert.equal(store.of('head')['config'], undefined);
});

test('a caller that comes while the index loads waits for that load, and a rebuild never hands out a half-filled index', async () => {
  const src = path.join(tmp, 'src-index');
  makeAssetTree(src, { largeFiles: 1, largeSize: 3 * 1024 * 1024, smallFiles: 50 });
  const inner = new FsStore(path.join(tmp, 'repo-index'));
  await backupDirect(await Repository.open(inner, key, { create: true, packSize: 1024 * 1024 }), { asset: 'ix', source: src, strategy: 'full' }, pool);

  // index reads that take a while, so that a second caller comes while they run
  let slow = 0;
  const store = new OpCounter(
    new (class extends ForwardingStore {
      override async get(k: string, range?: ByteRange): Promise<Buffer> {
        if (k.startsWith(INDEX_PREFIX)) await new Promise((r) => setTimeout(r, slow));
        return super.get(k, range);
      }
    })(inner),
  );
  const repo = await Repository.open(store, key);
  slow = 50;
  const [a, b, c] = await Promise.all([repo.loadIndex(), repo.loadIndex(), repo.loadIndex(true)]);
  assert.equal(store.of('list')['index/'], 1, 'one load for three callers');
  assert.ok(a === b && b === c && a.size > 0);
  const whole = a.size;

  // a prune that rewrites the index: one object with every pack, the old ones deleted
  const old = (await inner.list(INDEX_PREFIX)).map((o) => o.key);
  assert.ok(old.length > 1);
  const packs = (await Promise.all(old.map(async (k) => parseIndexFile(await inner.get(k), k.slice(INDEX_PREFIX.length)).packs))).flat();
  const merged = Buffer.from(JSON.stringify({ v: 1, packs }));
  await inner.put(indexKey(sha256hex(merged)), merged);
  for (const k of old) await inner.delete(k);

  const rebuilding = repo.loadIndex(true);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal((await repo.loadIndex()).size, whole, 'while it rebuilds, the index handed out is the one before, whole');
  const rebuilt = await rebuilding;
  assert.equal(rebuilt.size, whole);
  assert.equal(await repo.loadIndex(), rebuilt);
});
