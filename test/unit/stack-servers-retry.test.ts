import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PortClashError } from '../../src/stack/process';
import type { SeaweedServer } from '../../src/stack/seaweed';
import { launchStackServers, type StackServerOptions } from '../../src/stack/stack-servers';
import type { TemporalServer } from '../../src/stack/temporal-server';

const options = {} as StackServerOptions;
const fake = <T>(name: string, stops: string[]) => ({ name, stop: async () => void stops.push(name) }) as unknown as T;

/** Launchers that fail with the given errors first, then start. */
function launchers(temporalErrors: Error[], stops: string[]) {
  const calls = { temporal: 0, seaweed: 0 };
  return {
    calls,
    launchers: {
      temporal: async () => {
        const e = temporalErrors[calls.temporal++];
        if (e) throw e;
        return fake<TemporalServer>('temporal', stops);
      },
      seaweed: async () => (calls.seaweed++, fake<SeaweedServer>('seaweed', stops)),
    },
  };
}

test('a port clash at start (the dev server picked a port the stack had chosen) is retried with the same options', async () => {
  const stops: string[] = [];
  const l = launchers([new PortClashError('bind: address already in use')], stops);
  const r = await launchStackServers(options, () => false, l.launchers);
  assert.ok('temporal' in r, 'started on the second attempt');
  assert.deepEqual(l.calls, { temporal: 2, seaweed: 2 });
  assert.deepEqual(stops, ['seaweed'], 'the first attempt stopped the server that had started');
});

test('a port that stays taken fails after three attempts; other failures are not retried', async () => {
  const clash = () => new PortClashError('bind: address already in use');
  const l = launchers([clash(), clash(), clash()], []);
  const r = await launchStackServers(options, () => false, l.launchers);
  assert.ok('failure' in r && r.failure instanceof PortClashError);
  assert.equal(l.calls.temporal, 3);

  const other = launchers([new Error('temporal: no such binary')], []);
  const r2 = await launchStackServers(options, () => false, other.launchers);
  assert.ok('failure' in r2 && !(r2.failure instanceof PortClashError));
  assert.equal(other.calls.temporal, 1);
});
