import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlan } from '../../src/config/load-plan';
import { LimitedStore } from '../../src/engine/limits/limited-store';
import { Semaphore } from '../../src/engine/limits/semaphore';
import { takeAll, TokenBucket, type Clock } from '../../src/engine/limits/token-bucket';
import type { BlobStore, ObjectInfo } from '../../src/engine/store/blob-store';

/** Virtual milliseconds: sleepers wake in time order when the test advances the clock. */
class VirtualClock implements Clock {
  t = 0;
  private timers: { at: number; wake: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.timers.push({ at: this.t + ms, wake }));
  }
  /** Let every runnable task run, then wake the earliest sleeper; stop before `end`. */
  async runUntil(end: number): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) return;
      this.timers.shift();
      this.t = next.at;
      next.wake();
    }
  }
}

/** xorshift32: the same request sizes on every run */
function sizes(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return 1024 + ((x >>> 0) % (4 * 1024 * 1024));
  };
}

const MiB = 1024 * 1024;

test('token bucket: four senders of random request sizes hold 1 MiB/s within 10 % over 60 virtual seconds, never above rate*t + burst', async () => {
  const clock = new VirtualClock();
  const rate = MiB;
  const bucket = new TokenBucket(rate, undefined, clock);
  const admitted: { t: number; bytes: number }[] = [];
  let stop = false;
  const sender = async (seed: number) => {
    const next = sizes(seed);
    while (!stop) {
      const n = next();
      await bucket.take(n);
      if (!stop) admitted.push({ t: clock.now(), bytes: n });
    }
  };
  const senders = [1, 2, 3, 4].map((s) => sender(s * 7919));
  await clock.runUntil(60_000);
  stop = true;
  await clock.runUntil(Infinity);
  await Promise.all(senders);
  const inWindow = admitted.filter((a) => a.t <= 60_000);
  const total = inWindow.reduce((s, a) => s + a.bytes, 0);
  const ratio = total / (rate * 60);
  assert.ok(ratio <= 1.1 && ratio >= 0.9, `60 s moved ${(total / MiB).toFixed(2)} MiB: ${ratio.toFixed(3)} of the limit`);
  // the bound at every admission, and over every 10 s window
  let sum = 0;
  for (const a of inWindow) {
    sum += a.bytes;
    assert.ok(sum <= (rate * a.t) / 1000 + bucket.burst + 1, `at ${a.t} ms: ${sum} bytes admitted, more than the limit allows`);
  }
  // over any window: the rate, plus one request (the limit works per request) and the burst
  const largest = Math.max(...inWindow.map((a) => a.bytes));
  for (let from = 0; from + 10_000 <= 60_000; from += 1_000) {
    const w = inWindow.filter((a) => a.t > from && a.t <= from + 10_000).reduce((s, a) => s + a.bytes, 0);
    assert.ok(w <= rate * 10 + largest + bucket.burst, `window ${from}..${from + 10_000} ms moved ${(w / MiB).toFixed(2)} MiB`);
  }
});

test('token bucket: after an idle minute only the burst is saved up; a request larger than the burst waits for its bytes', async () => {
  const clock = new VirtualClock();
  const bucket = new TokenBucket(MiB, 100 * 1024, clock);
  let done = false;
  void bucket.take(MiB).then(() => (done = true));
  await clock.runUntil(999);
  assert.equal(done, false, 'a MiB at 1 MiB/s is not admitted before 1 s');
  await clock.runUntil(1000);
  assert.equal(done, true);
  clock.t += 60_000;
  let t1 = -1;
  void bucket.take(2 * MiB).then(() => (t1 = clock.now()));
  await clock.runUntil(Infinity);
  // 100 KiB saved up, the rest of 2 MiB at 1 MiB/s
  assert.equal(Math.round(t1 - 61_000), Math.round(((2 * MiB - 100 * 1024) / MiB) * 1000));
});

test('takeAll: an asset bucket inside the repository one, the tighter sets the pace', async () => {
  const clock = new VirtualClock();
  const repo = new TokenBucket(4 * MiB, 0, clock);
  const asset = new TokenBucket(MiB, 0, clock);
  let at = -1;
  void takeAll([repo, asset], 2 * MiB).then(() => (at = clock.now()));
  await clock.runUntil(Infinity);
  assert.equal(at, 2000);
});

/** In memory; puts wait for the test to let them finish, so requests in flight can be counted. */
class GateStore implements BlobStore {
  url = 'mem://';
  inFlight = 0;
  maxInFlight = 0;
  private gates: (() => void)[] = [];
  async put(): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((r) => this.gates.push(r));
    this.inFlight--;
  }
  async get(): Promise<Buffer> {
    return Buffer.alloc(0);
  }
  async head(): Promise<ObjectInfo | undefined> {
    return undefined;
  }
  async list(): Promise<ObjectInfo[]> {
    return [];
  }
  async delete(): Promise<void> {}
  release(): boolean {
    const g = this.gates.shift();
    g?.();
    return Boolean(g);
  }
}

test('limited store: at most maxRequests calls reach the store at once, the rest wait in order', async () => {
  const inner = new GateStore();
  const store = new LimitedStore(inner, { upload: [], download: [], requests: new Semaphore(3) });
  const puts = Array.from({ length: 10 }, (_, i) => store.put(`k${i}`, Buffer.alloc(1)));
  for (;;) {
    await new Promise((r) => setImmediate(r));
    if (!inner.release() && inner.inFlight === 0) break;
  }
  await Promise.all(puts);
  assert.equal(inner.maxInFlight, 3);
});

test('plan: limits parse from numbers and units, bad ones are refused naming the field', () => {
  const plan = (repository: object, asset: object = {}) =>
    parsePlan({ repository: { url: 's3://bucket/p', ...repository }, assets: [{ name: 'a', source: '/data', ...asset }] }, 'plan.yaml', {});
  const p = plan({ limits: { uploadBytesPerSec: '8 MiB/s', downloadBytesPerSec: 1_000_000, maxRequests: 4 } }, { limits: { uploadBytesPerSec: '512KiB' } });
  assert.deepEqual(p.repository.limits, { uploadBytesPerSec: 8 * MiB, downloadBytesPerSec: 1_000_000, maxRequests: 4 });
  assert.deepEqual(p.assets[0].limits, { uploadBytesPerSec: 512 * 1024 });
  assert.throws(() => plan({ limits: { uploadBytesPerSec: 'fast' } }), /repository\.limits\.uploadBytesPerSec: must be bytes per second/);
  assert.throws(() => plan({ limits: { downloadBytesPerSec: 1000 } }), /repository\.limits\.downloadBytesPerSec: .*at least 65536/);
  assert.throws(() => plan({ limits: { maxRequests: 0 } }), /repository\.limits\.maxRequests: must be at least 1/);
  assert.throws(() => plan({ limits: { maxRequests: 2.5 } }), /repository\.limits\.maxRequests: must be a whole number/);
  assert.throws(() => plan({ limits: { uploadBytes: 1 } }), /repository\.limits: Unrecognized key/);
  assert.throws(() => plan({}, { limits: { downloadBytesPerSec: '-1MiB' } }), /assets\.0\.limits\.downloadBytesPerSec: must be bytes per second/);
  assert.throws(() => plan({}, { limits: { maxRequests: 2 } }), /assets\.0\.limits: Unrecognized key/);
});
