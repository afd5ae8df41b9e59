import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ReferenceTool, ResticBackup, ResticRun, ResticTarget } from './restic';
import { backupOf, MeasuredCommand, runOf } from './tool-run';
import { toolsDir } from './tools-dir';

/** rustic 0.11.4 built into the tools folder by scripts/bench-tools.sh; undefined when not installed. */
export function rusticBinary(): string | undefined {
  const bin = path.join(toolsDir(), 'rustic', 'bin', 'rustic');
  return fs.existsSync(bin) ? bin : undefined;
}

export function rusticVersion(bin: string): string {
  return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
}

/**
 * rustic (restic's repository format, in Rust) on the same S3 endpoint through its OpenDAL
 * backend, configured by environment (RUSTIC_REPO_OPT_*), defaults otherwise (compression on).
 */
export class Rustic implements ReferenceTool {
  readonly nestsSourcePath = true;
  private readonly cmd: MeasuredCommand;

  constructor(
    readonly t: ResticTarget,
    readonly bin: string,
    readonly label: string,
  ) {
    fs.mkdirSync(t.cacheDir, { recursive: true });
    this.cmd = new MeasuredCommand(
      bin,
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        RUSTIC_REPOSITORY: 'opendal:s3',
        RUSTIC_REPO_OPT_BUCKET: t.bucket,
        RUSTIC_REPO_OPT_ROOT: `/${t.prefix}`,
        RUSTIC_REPO_OPT_ENDPOINT: t.endpoint,
        RUSTIC_REPO_OPT_REGION: t.region,
        RUSTIC_REPO_OPT_ACCESS_KEY_ID: t.accessKeyId,
        RUSTIC_REPO_OPT_SECRET_ACCESS_KEY: t.secretAccessKey,
        RUSTIC_PASSWORD: 'lepton-bench-password',
        RUSTIC_CACHE_DIR: t.cacheDir,
        RUSTIC_NO_PROGRESS: 'true',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      'rustic',
    );
  }

  async init(): Promise<void> {
    await this.cmd.run(['init'], 'init');
  }

  /** `rustic backup --json`: prints the new snapshot, its summary included. */
  async backup(source: string): Promise<ResticBackup> {
    const r = await this.cmd.run(['backup', '--json', '--host', 'bench', source], 'backup');
    const start = r.stdout.indexOf('{');
    let snap: { id?: string; summary?: Record<string, number> };
    try {
      snap = JSON.parse(r.stdout.slice(start)) as typeof snap;
    } catch {
      throw new Error(`rustic backup printed no snapshot JSON:\n${r.stdout.slice(-2000)}`);
    }
    return backupOf(r, String(snap.id), snap.summary ?? {});
  }

  async restore(target: string): Promise<ResticRun> {
    return runOf(await this.cmd.run(['restore', 'latest', target], 'restore'));
  }
}
