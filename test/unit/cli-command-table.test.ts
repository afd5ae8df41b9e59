import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS, commandsFor } from '../../src/cli/command-table';
import { compileCacheDir } from '../../src/common/compile-cache';

const names = (args: string[]) => commandsFor(args).map(([n]) => n);

test('a command line loads only the command it names', () => {
  assert.deepEqual(names(['backup', '--asset', 'models']), ['backup']);
  assert.deepEqual(names(['--json', '--plan', 'plan.yaml', 'restore', '--target', '/r']), ['restore']);
  // the word after --plan is its value, not the command
  assert.deepEqual(names(['--plan', 'worker', 'snapshots']), ['snapshots']);
  assert.deepEqual(names(['--no-wait-for-worker', 'predict', 'eval']), ['predict']);
});

test('help, no command, or an unknown one loads every command (commander lists or suggests from all)', () => {
  const all = COMMANDS.map(([n]) => n);
  assert.deepEqual(names([]), all);
  assert.deepEqual(names(['--help']), all);
  assert.deepEqual(names(['help', 'backup']), all);
  assert.deepEqual(names(['--plan', 'p.yaml']), all);
  assert.deepEqual(names(['bakup']), all);
  assert.deepEqual(names(['--', 'backup']), all);
});

test('each entry of the table loads the command of its name, and no name is listed twice', async () => {
  assert.equal(new Set(COMMANDS.map(([n]) => n)).size, COMMANDS.length);
  for (const [name, load] of COMMANDS) assert.equal((await load()).name(), name);
});

test('the V8 compile cache lives in the user cache folder unless NODE_COMPILE_CACHE says where', () => {
  assert.equal(compileCacheDir({ NODE_COMPILE_CACHE: '/var/cache/x' }), '/var/cache/x');
  assert.equal(compileCacheDir({ XDG_CACHE_HOME: '/home/u/.cache' }), '/home/u/.cache/lepton-dr/compile-cache');
  assert.match(compileCacheDir({}), /\/\.cache\/lepton-dr\/compile-cache$/);
});
