#!/usr/bin/env node
'use strict';
// Bundle workflow code once at build time so workers start in a second instead of re-bundling.
const fs = require('node:fs');
const path = require('node:path');
const { bundleWorkflowCode } = require('@temporalio/worker');

(async () => {
  const out = path.join(__dirname, '..', 'dist', 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, '..', 'dist', 'src', 'workflows', 'index.js'),
    logger: { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} },
  });
  fs.writeFileSync(out, code);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
