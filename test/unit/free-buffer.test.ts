import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freeBuffer, WORTH_FREEING } from '../../src/common/free-buffer';

test('a chunk-sized buffer is freed at once: the smallest chunk of a new repository (64 KiB) is worth freeing', () => {
  const chunk = Buffer.allocUnsafeSlow(64 * 1024);
  freeBuffer(chunk);
  assert.equal(chunk.buffer.byteLength, 0);
  const raw = new ArrayBuffer(WORTH_FREEING);
  freeBuffer(raw);
  assert.equal(raw.byteLength, 0);
});

test('a view of part of a larger buffer, a small buffer and a pooled one are left alone', () => {
  const big = Buffer.allocUnsafeSlow(1024 * 1024);
  const part = big.subarray(4096, 200 * 1024);
  freeBuffer(part);
  assert.equal(big.buffer.byteLength, 1024 * 1024);
  const small = Buffer.allocUnsafeSlow(WORTH_FREEING - 1);
  freeBuffer(small);
  assert.equal(small.length, WORTH_FREEING - 1);
  const pooled = Buffer.from('pooled');
  freeBuffer(pooled);
  assert.equal(pooled.toString(), 'pooled');
});
