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
 * backend, defaults otherwise (compression on). The S3 options go in a profile of a config
 * folder of the bench's own (rustic reads `$XDG_CONFIG_HOME/rustic/<profile>.toml`): OpenDAL
 * takes its option names as written there (`access_key_id`), which environment names cannot spell.
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
    const configHome = path.join(t.cacheDir, 'config');
    fs.mkdirSync(path.join(configHome, 'rustic'), { recursive: true });
    fs.writeFileSync(path.join(configHome, 'rustic', 'bench.toml'), profileToml(t), { mode: 0o600 });
    this.cmd = new MeasuredCommand(
      bin,
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        XDG_CONFIG_HOME: configHome,
        RUSTIC_CACHE_DIR: t.cacheDir,
        RUSTIC_NO_PROGRESS: 'true',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      'rustic',
    );
  }

  async init(): Promise<void> {
    await this.cmd.run(['-P', 'bench', 'init'], 'init');
  }

  /** `rustic backup --json`: prints the new snapshot, its summary included. */
  async backup(source: string): Promise<ResticBackup> {
    const r = await this.cmd.run(['-P', 'bench', 'backup', '--json', '--host', 'bench', source], 'backup');
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
    return runOf(await this.cmd.run(['-P', 'bench', 'restore', 'latest', target], 'restore'));
  }
}

const tomlString = (v: string): string => JSON.stringify(v);

function profileToml(t: ResticTarget): string {
  return [
    '[repository]',
    `repository = "opendal:s3"`,
    `password = "lepton-bench-password"`,
    '[repository.options]',
    `bucket = ${tomlString(t.bucket)}`,
    `root = ${tomlString(`/${t.prefix}`)}`,
    `endpoint = ${tomlString(t.endpoint)}`,
    `region = ${tomlString(t.region)}`,
    `access_key_id = ${tomlString(t.accessKeyId)}`,
    `secret_access_key = ${tomlString(t.secretAccessKey)}`,
    '',
  ].join('\n');
}
