import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ListBucketsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { AlreadyExistsError, BadInputError, NotFoundError } from '../../src/common/errors';
import type { BlobStore } from '../../src/engine/store/blob-store';
import { openStore } from '../../src/engine/store/open-store';
import { createS3Client, S3Store } from '../../src/engine/store/s3-store';
import { startSeaweed, Seaweed } from '../helpers/seaweed';

const MiB = 1024 * 1024;
/** Just over S3's 1000-key page. */
const MANY = 1050;

interface Opened {
  store: BlobStore;
  close(): Promise<void>;
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

/** The behaviour every BlobStore must have. `open` gives a fresh, empty store. */
function storeContract(name: string, open: () => Promise<Opened>): void {
  describe(name, () => {
    let opened: Opened;
    let store: BlobStore;
    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(() => opened?.close());

    it('round-trips small, empty and 20 MiB bodies', async () => {
      const big = randomBytes(20 * MiB);
      await store.put('rt/small', Buffer.from('hello'));
      await store.put('rt/empty', Buffer.alloc(0));
      await store.put('rt/big', big);
      assert.equal((await store.get('rt/small')).toString(), 'hello');
      assert.equal((await store.get('rt/empty')).length, 0);
      assert.ok((await store.get('rt/big')).equals(big), '20 MiB body differs');
      assert.deepEqual(await store.head('rt/big'), { key: 'rt/big', size: 20 * MiB });
      assert.deepEqual(await store.head('rt/empty'), { key: 'rt/empty', size: 0 });
    });

    it('reads byte ranges, truncated at the end of the object', async () => {
      const body = randomBytes(9 * MiB);
      await store.put('range/obj', body);
      const at = (start: number, length: number) => store.get('range/obj', { start, length });
      assert.ok((await at(0, 10)).equals(body.subarray(0, 10)));
      // crosses SeaweedFS's 4 MiB chunk boundary
      assert.ok((await at(4 * MiB - 100, 300)).equals(body.subarray(4 * MiB - 100, 4 * MiB + 200)));
      assert.ok((await at(9 * MiB - 5, 100)).equals(body.subarray(9 * MiB - 5)));
      assert.equal((await at(9 * MiB, 10)).length, 0);
      assert.equal((await at(10 * MiB, 10)).length, 0);
      assert.equal((await at(5, 0)).length, 0);
      await store.put('range/empty', Buffer.alloc(0));
      assert.equal((await store.get('range/empty', { start: 0, length: 10 })).length, 0);
    });

    it('throws NotFoundError for a missing object, also for ranges; head gives undefined', async () => {
      await assert.rejects(store.get('missing/x'), NotFoundError);
      await assert.rejects(store.get('missing/x', { start: 0, length: 10 }), NotFoundError);
      await assert.rejects(store.get('missing/x', { start: 0, length: 0 }), NotFoundError);
      assert.equal(await store.head('missing/x'), undefined);
    });

    it('lists by prefix in key order with sizes', async () => {
      const keys = ['l/b/d', 'l/a', 'l/b/c', 'l-x', 'lx/y', 'l/bb'];
      await Promise.all(keys.map((k, i) => store.put(k, Buffer.alloc(i))));
      const list = async (p: string) => (await store.list(p)).map((o) => o.key);
      assert.deepEqual(await list('l/'), ['l/a', 'l/b/c', 'l/b/d', 'l/bb']);
      assert.deepEqual(await list('l/b'), ['l/b/c', 'l/b/d', 'l/bb']);
      assert.deepEqual(await list('l/b/'), ['l/b/c', 'l/b/d']);
      assert.deepEqual(await list('l'), ['l-x', 'l/a', 'l/b/c', 'l/b/d', 'l/bb', 'lx/y']);
      assert.deepEqual(await list('nothing/'), []);
      assert.deepEqual(await store.list('l/b/'), [
        { key: 'l/b/c', size: 2 },
        { key: 'l/b/d', size: 0 },
      ]);
    });

    it('lists more than 1000 objects (S3 pagination)', async () => {
      const keys = Array.from({ length: MANY }, (_, i) => `many/${String(i).padStart(4, '0')}`);
      await mapLimit(keys, 16, (k) => store.put(k, Buffer.from(k)));
      const listed = await store.list('many/');
      assert.equal(listed.length, MANY);
      assert.deepEqual(
        listed.map((o) => o.key),
        keys,
      );
      assert.ok(listed.every((o) => o.size === 9));
    });

    it('refuses a create-only put of an existing key and keeps the old content', async () => {
      await store.put('co/a', Buffer.from('first'), { createOnly: true });
      await assert.rejects(store.put('co/a', Buffer.from('second'), { createOnly: true }), AlreadyExistsError);
      assert.equal((await store.get('co/a')).toString(), 'first');
    });

    it('lets exactly one of concurrent create-only puts win', async () => {
      const results = await Promise.allSettled([1, 2, 3, 4].map((i) => store.put('co/race', Buffer.from(`writer-${i}`), { createOnly: true })));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, JSON.stringify(results));
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof AlreadyExistsError, String(r.reason));
      assert.match((await store.get('co/race')).toString(), /^writer-[1-4]$/);
    });

    it('overwrites without createOnly', async () => {
      await store.put('ow/a', Buffer.from('first version'));
      await store.put('ow/a', Buffer.from('second'));
      assert.equal((await store.get('ow/a')).toString(), 'second');
      assert.equal((await store.head('ow/a'))?.size, 6);
    });

    it('deletes idempotently', async () => {
      await store.put('del/a', Buffer.from('x'));
      await store.delete('del/a');
      await assert.rejects(store.get('del/a'), NotFoundError);
      assert.equal(await store.head('del/a'), undefined);
      await store.delete('del/a');
      await store.delete('del/never-existed');
      assert.deepEqual(await store.list('del/'), []);
    });

    it('handles unicode and punctuation in keys', async () => {
      const key = 'uni/ünïcødé/日本語/файл 1+2&3=(ok).bin';
      await store.put(key, Buffer.from('ü'));
      assert.equal((await store.get(key)).toString(), 'ü');
      assert.deepEqual(await store.list('uni/ünïcødé/'), [{ key, size: 2 }]);
    });

    it('rejects keys that escape the store', async () => {
      await assert.rejects(store.put('../escape', Buffer.from('x')), BadInputError);
      await assert.rejects(store.get('/abs'), BadInputError);
    });
  });
}

describe('BlobStore contract', { timeout: 180_000 }, () => {
  describe('FsStore', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-fsstore-'));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    storeContract('via openStore(file://)', async () => {
      const store = openStore({ url: pathToFileURL(path.join(dir, 'repo')).href, region: 'us-east-1', pathStyle: true });
      assert.equal(store.constructor.name, 'FsStore');
      return { store, close: async () => undefined };
    });
  });

  describe('S3Store on SeaweedFS', () => {
    let sw: Seaweed;
    before(async () => {
      sw = await startSeaweed();
    });
    after(() => sw?.stop());

    const prefix = `contract-${randomBytes(4).toString('hex')}`;
    storeContract('via openStore(s3://)', async () => {
      const store = openStore(sw.repository(prefix), sw.env);
      assert.ok(store instanceof S3Store);
      return { store, close: async () => store.destroy() };
    });

    it('really paged through the list above (server pages hold at most 1000 keys)', async () => {
      const client = createS3Client({ endpoint: sw.endpoint, region: sw.region, forcePathStyle: true, credentials: sw });
      try {
        const page = await client.send(new ListObjectsV2Command({ Bucket: sw.bucket, Prefix: `${prefix}/many/` }));
        assert.equal(page.IsTruncated, true);
        assert.equal(page.KeyCount, 1000);
      } finally {
        client.destroy();
      }
    });

    it('keeps prefixes apart: "p1" does not see "p10"', async () => {
      const opts = { bucket: sw.bucket, endpoint: sw.endpoint, region: sw.region, forcePathStyle: true, credentials: sw };
      const p1 = new S3Store({ ...opts, prefix: 'p1' });
      const p10 = new S3Store({ ...opts, prefix: 'p10/' });
      try {
        await p10.put('x', Buffer.from('10'));
        await p1.put('x', Buffer.from('1'));
        assert.deepEqual(await p1.list(''), [{ key: 'x', size: 1 }]);
        assert.equal(p10.url, `s3://${sw.bucket}/p10`);
      } finally {
        p1.destroy();
        p10.destroy();
      }
    });

    it('refuses wrong credentials (so the fixture really checks signatures)', async () => {
      const client = createS3Client({
        endpoint: sw.endpoint,
        region: sw.region,
        forcePathStyle: true,
        credentials: { accessKeyId: sw.accessKeyId, secretAccessKey: 'wrong-secret' },
        maxAttempts: 1,
      });
      try {
        await assert.rejects(client.send(new ListBucketsCommand({})), (err: { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(err.$metadata?.httpStatusCode, 403);
          return true;
        });
      } finally {
        client.destroy();
      }
    });
  });
});
