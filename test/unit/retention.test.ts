import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SnapshotManifest } from '../../src/engine/repo/snapshot';
import { selectKept } from '../../src/engine/retention';
import { snapshotStats } from '../helpers/crafted-snapshot';

const snap = (id: string, time: string, tags: string[] = []): SnapshotManifest => ({
  v: 1,
  id: id.padEnd(32, '0'),
  time,
  host: 'h',
  asset: 'a',
  source: '/s',
  tags,
  strategy: 'incremental',
  tree: [],
  stats: snapshotStats(),
});

const snaps = [
  snap('a1', '2026-11-20T01:00:00.000Z'),
  snap('a2', '2026-11-20T13:00:00.000Z'),
  snap('a3', '2026-11-21T01:00:00.000Z', ['release']),
  snap('a4', '2026-11-22T01:00:00.000Z'),
  snap('a5', '2026-11-22T02:00:00.000Z'),
];
const ids = (l: SnapshotManifest[]) => l.map((s) => s.id.slice(0, 2)).sort();

test('keepLast keeps the newest n', () => {
  assert.deepEqual(ids(selectKept(snaps, { keepLast: 2 }).keep), ['a4', 'a5']);
});

test('keepDaily keeps the newest of each of the last n days', () => {
  const r = selectKept(snaps, { keepDaily: 2 });
  assert.deepEqual(ids(r.keep), ['a3', 'a5']);
  assert.deepEqual(ids(r.forget), ['a1', 'a2', 'a4']);
});

test('rules combine, tags protect', () => {
  assert.deepEqual(ids(selectKept(snaps, { keepLast: 1, keepTags: ['release'] }).keep), ['a3', 'a5']);
});

test('an empty policy forgets nothing', () => {
  assert.equal(selectKept(snaps, {}).forget.length, 0);
});
