import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XorShift } from '../../bench/dataset';

test('bench random bytes: a seed equal to a word another stream produced starts a stream of its own', () => {
  // with a 32-bit state the word is the state: that seed went on with the other stream, word for
  // word, and every seed's stream lay inside one 16 GiB cycle (the curve's 8 GiB checkpoint held most of them)
  const a = new XorShift(4242);
  for (let i = 0; i < 1000; i++) a.next();
  const b = new XorShift(a.next());
  const next = (g: XorShift) => Array.from({ length: 256 }, () => g.next());
  const fromA = next(a);
  const fromB = next(b);
  assert.ok(fromA.filter((w, i) => w === fromB[i]).length < 4, 'the two streams differ');
});

test('bench random bytes: the same seed gives the same bytes, filled whole or word by word', () => {
  const whole = Buffer.alloc(1030);
  new XorShift(7).fill(whole);
  const g = new XorShift(7);
  const words = Buffer.alloc(1030);
  for (let i = 0; i < 257; i++) words.writeUInt32LE(g.next(), i * 4);
  words[1028] = g.next() & 0xff;
  words[1029] = g.next() & 0xff;
  assert.deepEqual(whole, words);
  const unaligned = Buffer.alloc(1031).subarray(1);
  new XorShift(7).fill(unaligned);
  assert.deepEqual(unaligned, whole, 'a buffer at an odd offset gets the same bytes');
  // not a stream stuck at one value or period: no word repeats among the first 64 Ki
  const seen = new Set<number>();
  const h = new XorShift(7);
  for (let i = 0; i < 65536; i++) seen.add(h.next());
  assert.ok(seen.size > 65530);
});
