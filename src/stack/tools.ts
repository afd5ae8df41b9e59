import fs from 'node:fs';
import path from 'node:path';

export type ToolName = 'temporal' | 'weed';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Nearest folder above this file holding package.json (works from src/ and from any compiled copy such as dist/src/). */
export function projectRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}

/**
 * Path of an installed server binary (installed by scripts/install-tools.sh). Looks in
 * $LEPTON_DR_TOOLS_DIR (its venv/bin, or the folder itself), then <projectRoot>/.tools/venv/bin,
 * then PATH.
 */
export function findTool(name: ToolName): string {
  const dirs: string[] = [];
  if (process.env.LEPTON_DR_TOOLS_DIR) dirs.push(path.join(process.env.LEPTON_DR_TOOLS_DIR, 'venv', 'bin'), process.env.LEPTON_DR_TOOLS_DIR);
  dirs.push(path.join(projectRoot(), '.tools', 'venv', 'bin'));
  dirs.push(...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean));
  for (const dir of new Set(dirs)) {
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  throw new Error(
    `cannot find the "${name}" binary (looked in ${dirs.slice(0, 3).join(', ')} and PATH): run scripts/install-tools.sh, ` +
      'or set LEPTON_DR_TOOLS_DIR to the folder that holds it',
  );
}
