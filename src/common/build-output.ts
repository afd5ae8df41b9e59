import path from 'node:path';
import { projectRoot } from '../config/local-stack';

/** The folder `npm run build` writes (dist/), found the same way from tsc's files and from the bundles. */
export function distDir(): string {
  return path.join(projectRoot(), 'dist');
}

/** A single-file entry point users run, bundled by scripts/bundle-entries.js (dist/bundle/NAME.js). */
export function bundledEntry(name: 'cli' | 'worker' | 'engine-child'): string {
  return path.join(distDir(), 'bundle', `${name}.js`);
}
