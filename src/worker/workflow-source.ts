import fs from 'node:fs';
import path from 'node:path';

/** The prebuilt workflow bundle (made by `npm run build`) when present, else bundle at start. */
export function workflowSource(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const bundle = process.env.LEPTON_DR_WORKFLOW_BUNDLE ?? path.join(__dirname, '..', '..', 'workflow-bundle.js');
  if (fs.existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  return { workflowsPath: require.resolve('../workflows') };
}
