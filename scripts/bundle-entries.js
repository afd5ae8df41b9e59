#!/usr/bin/env node
'use strict';
// Bundle the compiled entry points into single files at build time, so a cold start reads one
// file instead of hundreds of modules (the AWS SDK, zod, yaml, pino, commander and our own):
//   dist/bundle/<name>.js      the launcher users and the bench run: turns on the V8 compile cache,
//                              then loads the bundle (a file is compiled before its first line runs,
//                              so the bundle cannot turn the cache on for itself)
//   dist/bundle/lib/<name>.js  the bundle
// The Temporal SDK stays external: its worker loads a native module and its workflow thread by
// path, and one copy of its classes must serve the client, the worker and the activities. The
// chunk worker is bundled beside the others because ChunkPool starts it from its own folder.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const dist = path.join(__dirname, '..', 'dist');
const out = path.join(dist, 'bundle');
const launched = {
  cli: path.join(dist, 'src', 'cli', 'main.js'),
  worker: path.join(dist, 'src', 'worker', 'main.js'),
};
// the bench's engine process, when the bench was compiled (the image compiles src/ only)
const engineChild = path.join(dist, 'bench', 'engine-child.js');
if (fs.existsSync(engineChild)) launched['engine-child'] = engineChild;
const threads = { 'chunk-worker': path.join(dist, 'src', 'engine', 'chunker', 'chunk-worker.js') };
const compileCache = path.join(dist, 'src', 'common', 'compile-cache.js');

(async () => {
  fs.rmSync(out, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: { ...launched, ...threads },
    outdir: path.join(out, 'lib'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['@temporalio/*'],
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const name of Object.keys(launched)) {
    const cache = path.relative(out, compileCache);
    fs.writeFileSync(path.join(out, `${name}.js`), `'use strict';\nrequire('${cache}');\nrequire('./lib/${name}.js');\n`);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
