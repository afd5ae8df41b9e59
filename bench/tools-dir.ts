import fs from 'node:fs';
import path from 'node:path';

/** The project's tools folder (.tools, or $LEPTON_DR_TOOLS_DIR), where scripts/bench-tools.sh installs restic and rustic. */
export function toolsDir(): string {
  if (process.env.LEPTON_DR_TOOLS_DIR) return path.resolve(process.env.LEPTON_DR_TOOLS_DIR);
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, '.tools');
  }
  return path.resolve('.tools');
}
