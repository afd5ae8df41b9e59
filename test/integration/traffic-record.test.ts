import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { IntegrityError } from '../../src/common/errors';
import { signedRecords } from '../../src/engine/repo/signed-records';
import { FsStore } from '../../src/engine/store/fs-store';
import { trafficRecordKey } from '../../src/engine/repo/layout';
import { TrafficRecords } from '../../src/failover/traffic-record';

let tmp: string;
before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-traffic-'))));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the traffic record is signed: a bucket writer without the key cannot move a site to "primary"', async () => {
  const store = new FsStore(path.join(tmp, 'repo'));
  const records = new TrafficRecords(signedRecords({ store, key: Buffer.alloc(32, 5) }));
  assert.deepEqual(await records.resolve('eu', 'unknown'), { side: 'unknown', from: 'none' });
  await records.write('eu', 'standby', 'failover-eu');
  assert.deepEqual(await records.resolve('eu', 'unknown'), { side: 'standby', from: 'record' });
  // the attacker's goal: make a repeated failover restore over the live standby
  await store.put(trafficRecordKey('eu'), Buffer.from(JSON.stringify({ side: 'primary', at: new Date().toISOString(), by: 'me' })));
  await assert.rejects(records.resolve('eu', 'unknown'), (e: Error) => e instanceof IntegrityError && /signature/.test(e.message));
  assert.deepEqual(await records.resolve('eu', 'standby'), { side: 'standby', from: 'switcher' }, 'what the switcher reports still wins');
});
