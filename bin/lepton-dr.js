#!/usr/bin/env -S MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=1048576 MALLOC_TRIM_THRESHOLD_=4194304 node --max-semi-space-size=4
'use strict';
// The flags above are WORK_PROCESS_ENV and WORK_PROCESS_NODE_FLAGS (src/common/node-flags.ts): `lepton-dr worker` is a worker process.
// On a Node.js older than the pinned LTS, hand over to the one scripts/install-tools.sh installed.
const fs = require('node:fs');
const path = require('node:path');
const pinned = path.join(process.env.LEPTON_DR_TOOLS_DIR || path.join(__dirname, '..', '.tools'), 'node', 'bin', 'node');
if (Number(process.versions.node.split('.')[0]) < 22 && fs.existsSync(pinned)) {
  const child = require('node:child_process').spawn(pinned, [...require('../dist/src/common/node-flags.js').WORK_PROCESS_NODE_FLAGS, __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  // the terminal sends Ctrl-C to both processes; the child shuts down, this one waits for it
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => s !== 'SIGINT' && child.kill(s));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  require('../dist/bundle/cli.js');
}
