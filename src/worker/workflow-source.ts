import fs from 'node:fs';
import path from 'node:path';

/** The given prebuilt bundle, else the one `npm run build` made when present, else bundle at start. */
export function workflowSource(bundle?: string): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  if (bundle) return { workflowBundle: { codePath: bundle } };
  const built = path.join(__dirname, '..', '..', 'workflow-bundle.js');
  if (fs.existsSync(built)) return { workflowBundle: { codePath: built } };
  return { workflowsPath: require.resolve('../workflows') };
}
