import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { PackBuilder, readPackHeader } from '../../src/engine/repo/pack';

test('a pack built in one buffer holds every blob at its offset, past the capacity too, and is named by its bytes', () => {
  // capacity smaller than the content: the buffer grows without losing what it held
  const pb = new PackBuilder(1000);
  const blobs = [randomBytes(700), randomBytes(1), randomBytes(5000), randomBytes(300)];
  blobs.forEach((b, i) => pb.add(`${i}`.padStart(64, '0'), 'data', b, i === 2 ? 9000 : undefined));
  pb.add('0'.padStart(64, '0'), 'data', randomBytes(10));
  const { id, body, entries } = pb.finish();
  assert.equal(id, createHash('sha256').update(body).digest('hex'));
  assert.deepEqual(readPackHeader(body, id), entries);
  assert.equal(entries.length, 4, 'a blob added twice is stored once');
  entries.forEach((e, i) => assert.ok(body.subarray(e.offset, e.offset + e.length).equals(blobs[i]), `blob ${i}`));
  assert.equal(entries[2].rawLength, 9000);
  assert.equal(pb.count, 0);
  assert.equal(pb.bytes, 0);
  // the next pack starts empty and does not share the finished pack's bytes
  pb.add('9'.padStart(64, '0'), 'data', Buffer.from('next'));
  const next = pb.finish();
  assert.ok(body.subarray(0, 700).equals(blobs[0]), 'the finished pack is not overwritten');
  assert.equal(readPackHeader(next.body, next.id)[0].offset, 0);
});
