import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FinishBatchSchema, RestoreBatchSchema } from '../../src/engine/restore/restore-plan';
import { decodeLedger, encodeLedger } from '../../src/engine/restore/run-restore-batch';

const item = (chunks: string[]) => ({ path: 'd/f', size: 3, mode: 0o644, mtimeNs: '1700000000123456789', xattrs: { 'user.a': 'AA==' }, chunks });

test('the finish step reads back only what it uses of a batch: paths, mtimes and xattrs', () => {
  const doc = { v: 1, staging: '/s', snapshotId: 'x', items: [item(['not-a-chunk-id'])] };
  assert.throws(() => RestoreBatchSchema.parse(doc), /items\b.*chunks|Invalid/s, 'writing a batch checks every chunk id');
  const finish = FinishBatchSchema.parse(doc);
  assert.deepEqual(finish.items, [{ path: 'd/f', mtimeNs: '1700000000123456789', xattrs: { 'user.a': 'AA==' } }]);
  assert.throws(() => FinishBatchSchema.parse({ items: [{ path: 'd/f' }] }), /mtimeNs/, 'a field it uses is still required');
});

test('the resume ledger round-trips, and a ledger of the wrong size resumes nothing', () => {
  const done = Array.from({ length: 21 }, (_, i) => i % 3 === 0 || i === 20);
  assert.deepEqual(decodeLedger(encodeLedger(done), 21), done);
  assert.deepEqual(decodeLedger(encodeLedger(done), 40), new Array<boolean>(40).fill(false));
  assert.deepEqual(decodeLedger(undefined, 2), [false, false]);
});
