#!/usr/bin/env node
'use strict';
// Runs every compiled test file with node's test runner, one file at a time (the suites start
// real servers and the machine has two cores). Usage: node scripts/run-tests.js [unit|integration] [filter]
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const outDir = process.env.LEPTON_DR_DIST ?? path.join(root, 'dist');
const which = process.argv[2];
const filter = process.argv[3];
const dirs = which ? [which] : ['unit', 'integration'];

function collect(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return collect(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}

const files = dirs
  .flatMap((d) => collect(path.join(outDir, 'test', d)))
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
