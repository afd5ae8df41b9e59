import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { WORK_PROCESS_ENV, WORK_PROCESS_NODE_FLAGS, workProcessEnv } from '../../src/common/node-flags';
import { workerLaunch } from '../../src/stack/worker-process';

const root = path.join(__dirname, '..', '..', '..');

test('every way a worker process starts carries the V8 flags of node-flags.ts', () => {
  assert.deepEqual(workerLaunch('/w.js', 'plan.yaml').args, [...WORK_PROCESS_NODE_FLAGS, '/w.js', '--plan', 'plan.yaml']);
  assert.deepEqual(workerLaunch('/w.js').args, [...WORK_PROCESS_NODE_FLAGS, '/w.js']);
  // and the malloc settings, under what its starter set
  assert.deepEqual(workerLaunch('/w.js', undefined, { PATH: '/bin', MALLOC_ARENA_MAX: '4' }).env, { ...WORK_PROCESS_ENV, PATH: '/bin', MALLOC_ARENA_MAX: '4' });
  // `lepton-dr worker` (and every other command) through the bin's shebang
  const bin = fs.readFileSync(path.join(root, 'bin', 'lepton-dr.js'), 'utf8').split('\n')[0];
  const assignments = Object.entries(WORK_PROCESS_ENV).map(([k, v]) => `${k}=${v}`);
  assert.equal(bin, `#!/usr/bin/env -S ${assignments.join(' ')} node ${WORK_PROCESS_NODE_FLAGS.join(' ')}`);
  // the image's worker
  const dockerfile = fs.readFileSync(path.join(root, 'deploy', 'Dockerfile'), 'utf8');
  for (const a of assignments) assert.match(dockerfile, new RegExp(`^ENV [^]*?\\s${a}\\s`, 'm'), `the image sets ${a}`);
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  assert.deepEqual(JSON.parse(cmd?.[1] ?? '[]'), ['node', ...WORK_PROCESS_NODE_FLAGS, 'dist/bundle/worker.js']);
});

test('only the young generation is capped: a large backup keeps V8 old-space limit', () => {
  assert.ok(WORK_PROCESS_NODE_FLAGS.every((f) => !f.startsWith('--max-old-space-size')));
});

test('a work process gets the malloc settings of node-flags.ts unless its starter set them', () => {
  assert.deepEqual(workProcessEnv({ PATH: '/bin' }), { ...WORK_PROCESS_ENV, PATH: '/bin' });
  assert.equal(workProcessEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX, '4');
  // a fixed threshold: glibc's dynamic one would keep freed multi-MiB buffers in the heap
  assert.ok(Number(WORK_PROCESS_ENV.MALLOC_MMAP_THRESHOLD_) <= 4 * 1024 * 1024);
});
