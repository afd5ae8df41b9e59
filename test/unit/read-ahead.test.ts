import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readAhead } from '../../src/common/read-ahead';

interface Deferred {
  promise: Promise<number>;
  resolve: (v: number) => void;
  reject: (e: Error) => void;
}
function deferred(): Deferred {
  let resolve!: (v: number) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<number>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setImmediate(r));

test('readAhead keeps up to depth fetches in flight and yields in input order, whatever order they finish in', async () => {
  const d = Array.from({ length: 6 }, deferred);
  const started: number[] = [];
  const it = readAhead([0, 1, 2, 3, 4, 5], 3, (i) => (started.push(i), d[i].promise));
  const first = it.next();
  await tick();
  assert.deepEqual(started, [0, 1, 2]);
  d[2].resolve(20);
  d[1].resolve(10);
  await tick();
  assert.deepEqual(started, [0, 1, 2], 'nothing past the window while its head is pending');
  d[0].resolve(0);
  assert.deepEqual(await first, { value: 0, done: false });
  assert.deepEqual((await it.next()).value, 10);
  assert.deepEqual(started, [0, 1, 2, 3], 'each step refills the window by one');
  assert.deepEqual((await it.next()).value, 20);
  for (const i of [3, 4, 5]) d[i].resolve(i * 10);
  const rest: number[] = [];
  for await (const v of { [Symbol.asyncIterator]: () => it }) rest.push(v);
  assert.deepEqual(rest, [30, 40, 50]);
});

test('a later fetch failing while an earlier one is awaited is reported when reached, never as an unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    const d = Array.from({ length: 3 }, deferred);
    const it = readAhead([0, 1, 2], 3, (i) => d[i].promise);
    const first = it.next();
    await tick();
    d[2].reject(new Error('blob 2 is gone'));
    await tick();
    d[0].resolve(0);
    d[1].resolve(1);
    assert.equal((await first).value, 0);
    assert.equal((await it.next()).value, 1);
    await assert.rejects(it.next(), /blob 2 is gone/);
    // a consumer that stops early, with a failure still under way
    const e = Array.from({ length: 3 }, deferred);
    const early = readAhead([0, 1, 2], 3, (i) => e[i].promise);
    const one = early.next();
    e[0].resolve(0);
    assert.equal((await one).value, 0);
    await early.return(undefined);
    e[1].reject(new Error('late'));
    await tick();
    await tick();
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
