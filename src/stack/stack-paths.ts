import fs from 'node:fs';
import path from 'node:path';
import { stateDir as defaultStateDir } from '../config/local-stack';

/** Where the local stack keeps its state; everything survives a restart. */
export interface LocalStackPaths {
  stateDir: string;
  logDir: string;
  temporalDb: string;
  seaweedDir: string;
  runDir: string;
  /** Who runs the stack now: pids of the supervisor and its children. */
  statusFile: string;
}

export function localStackPaths(state = defaultStateDir()): LocalStackPaths {
  return {
    stateDir: state,
    logDir: path.join(state, 'logs'),
    temporalDb: path.join(state, 'temporal', 'temporal.db'),
    seaweedDir: path.join(state, 'seaweed'),
    runDir: path.join(state, 'run'),
    statusFile: path.join(state, 'run', 'stack.json'),
  };
}

/** Creates every folder of the state dir. */
export function makeStackDirs(paths: LocalStackPaths): void {
  for (const d of [paths.logDir, path.dirname(paths.temporalDb), paths.seaweedDir, paths.runDir]) fs.mkdirSync(d, { recursive: true });
}

/** <logDir>/<name>.log */
export function stackLogFile(paths: Pick<LocalStackPaths, 'logDir'>, name: string): string {
  return path.join(paths.logDir, `${name}.log`);
}

/** Rename x.log to x.log.1 so each run starts a fresh log and one previous run is kept. */
export function rotateLog(file: string): void {
  try {
    if (fs.statSync(file).size > 0) fs.renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}

/** Where weed can put its unix sockets: unix socket paths must stay under 108 bytes. */
export function socketDir(paths: LocalStackPaths): string {
  const dir = path.join(paths.runDir, 'sock');
  return dir.length < 90 ? dir : fs.mkdtempSync('/tmp/lepton-dr-sock-');
}
