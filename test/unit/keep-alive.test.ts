import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { reportProgress } from '../../src/activities/progress';
import { keepAliveActivityInterceptor, type Ticker } from '../../src/worker/keep-alive-interceptor';

const quiet = new DefaultLogger('ERROR');

/** A ticker the test drives by hand: no timing involved. */
function manualTicker(): { every: Ticker; tick(): void; running(): boolean } {
  let current: (() => void) | undefined;
  return {
    every: (fn) => {
      current = fn;
      return () => (current = undefined);
    },
    tick: () => current?.(),
    running: () => current !== undefined,
  };
}

test('a slow unit of work keeps beating its last progress, whatever the store (no bandwidth limit needed)', async () => {
  const ticker = manualTicker();
  const env = new MockActivityEnvironment(undefined, { interceptors: [keepAliveActivityInterceptor(ticker.every)], logger: quiet });
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  let slowGet!: () => void;
  const held = new Promise<void>((r) => (slowGet = r));
  let reached!: () => void;
  const atSlowGet = new Promise<void>((r) => (reached = r));
  const run = env.run(async () => {
    reportProgress({ itemsDone: 3 });
    reached();
    await held; // one ranged GET of a multi-GB object, longer than the heartbeat timeout
    reportProgress({ itemsDone: 4 });
    return 'done';
  });
  await atSlowGet;
  ticker.tick();
  ticker.tick();
  assert.deepEqual(beats, [{ itemsDone: 3 }, { itemsDone: 3 }, { itemsDone: 3 }], 'the last progress is repeated on every tick while the get is held');
  slowGet();
  assert.equal(await run, 'done');
  assert.equal(ticker.running(), false, 'the timer stops when the activity ends');
  assert.deepEqual(beats.at(-1), { itemsDone: 4 });
});

test('an activity that never reports progress (planning, commit, publish) still beats while it runs, and stops beating on failure', async () => {
  const ticker = manualTicker();
  const env = new MockActivityEnvironment(undefined, { interceptors: [keepAliveActivityInterceptor(ticker.every)], logger: quiet });
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  let fail!: (e: Error) => void;
  const held = new Promise<void>((_, reject) => (fail = reject));
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const run = env.run(async () => {
    started();
    await held;
  });
  await running;
  ticker.tick();
  assert.equal(beats.length, 1);
  assert.equal(beats[0], undefined);
  fail(new Error('copy refused'));
  await assert.rejects(run, /copy refused/);
  assert.equal(ticker.running(), false);
});

test("a retry's keep-alive beats repeat the previous attempt's progress until it reports its own, so dying early loses no resume point", async () => {
  const ticker = manualTicker();
  const env = new MockActivityEnvironment(
    { attempt: 2, heartbeatDetails: { itemsDone: 7, completed: 'AQ==' } },
    {
      interceptors: [keepAliveActivityInterceptor(ticker.every)],
      logger: quiet,
    },
  );
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  let resume!: () => void;
  const held = new Promise<void>((r) => (resume = r));
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const run = env.run(async () => {
    started();
    await held; // re-reading the batch before its first unit of work
    reportProgress({ itemsDone: 8 });
  });
  await running;
  ticker.tick();
  ticker.tick();
  assert.deepEqual(beats, [
    { itemsDone: 7, completed: 'AQ==' },
    { itemsDone: 7, completed: 'AQ==' },
  ]);
  resume();
  await run;
  assert.deepEqual(beats.at(-1), { itemsDone: 8 });
});
