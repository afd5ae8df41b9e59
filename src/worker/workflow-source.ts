import fs from 'node:fs';
import path from 'node:path';
import { distDir } from '../common/build-output';

/** The given prebuilt bundle, else the one `npm run build` made when present, else bundle at start. */
export function workflowSource(bundle?: string): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  if (bundle) return { workflowBundle: { codePath: bundle } };
  const built = path.join(distDir(), 'workflow-bundle.js');
  if (fs.existsSync(built)) return { workflowBundle: { codePath: built } };
  return { workflowsPath: path.join(distDir(), 'src', 'workflows', 'index.js') };
}
