import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Seaweed } from '../test/helpers/seaweed';
import { backupOf, MeasuredCommand, runOf } from './tool-run';
import { toolsDir } from './tools-dir';

/** restic against an S3 endpoint, with its own cache folder. */
export interface ResticTarget {
  endpoint: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  cacheDir: string;
}

/** A tool's repository at s3://<bucket>/<prefix> of one SeaweedFS, with its cache folder. */
export const seaweedTarget = (sw: Seaweed, prefix: string, cacheDir: string): ResticTarget => ({
  endpoint: sw.endpoint,
  bucket: sw.bucket,
  prefix,
  accessKeyId: sw.accessKeyId,
  secretAccessKey: sw.secretAccessKey,
  region: sw.region,
  cacheDir,
});

export interface ResticBackup extends ResticRun {
  snapshotId: string;
  /** bytes of new chunks before compression (restic's data_added) */
  dataAdded: number;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  bytesProcessed: number;
  totalDurationS: number;
}

export interface ResticRun {
  wallMs: number;
  maxRssKiB: number;
  cpuS: number | undefined;
  load1: number;
}

/** The reference: restic 0.18.1 built into the tools folder by scripts/bench-tools.sh. */
export const RESTIC_REFERENCE_VERSION = '0.18.1';

export function resticBinary(): string | undefined {
  const bin = path.join(toolsDir(), 'bin', 'restic');
  return fs.existsSync(bin) && resticVersion(bin).startsWith(`restic ${RESTIC_REFERENCE_VERSION} `) ? bin : undefined;
}

/** The distribution's restic (Debian: 0.14), an optional second column; undefined when absent or the same binary. */
export function systemResticBinary(): string | undefined {
  try {
    const bin = execFileSync('sh', ['-c', 'command -v restic'], { encoding: 'utf8' }).trim();
    return bin && bin !== resticBinary() ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** What the bench needs of a reference tool (restic, rustic): one repository, timed runs. */
export interface ReferenceTool {
  /** column label, e.g. "restic 0.18.1" */
  readonly label: string;
  /** restores recreate the absolute source path inside the target (restic does) */
  readonly nestsSourcePath: boolean;
  init(): Promise<void>;
  backup(source: string): Promise<ResticBackup>;
  restore(target: string): Promise<ResticRun>;
}

export function resticVersion(bin = 'restic'): string {
  return execFileSync(bin, ['version'], { encoding: 'utf8' }).trim();
}

export class Restic implements ReferenceTool {
  readonly nestsSourcePath = true;
  private readonly cmd: MeasuredCommand;

  constructor(
    readonly t: ResticTarget,
    readonly bin: string,
    readonly label: string,
    /** extra `backup` flags, e.g. --compression off for the fastest-settings rows */
    readonly backupFlags: string[] = [],
  ) {
    fs.mkdirSync(t.cacheDir, { recursive: true });
    this.cmd = new MeasuredCommand(
      bin,
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        RESTIC_REPOSITORY: `s3:${t.endpoint}/${t.bucket}/${t.prefix}`,
        RESTIC_PASSWORD: 'lepton-bench-password',
        RESTIC_CACHE_DIR: t.cacheDir,
        AWS_ACCESS_KEY_ID: t.accessKeyId,
        AWS_SECRET_ACCESS_KEY: t.secretAccessKey,
        AWS_DEFAULT_REGION: t.region,
      },
      'restic',
    );
  }

  async init(): Promise<void> {
    await this.cmd.run(['init'], 'init');
  }

  /** `restic backup --json`, defaults otherwise (parent detection, compression=auto, cache) unless backupFlags say. */
  async backup(source: string): Promise<ResticBackup> {
    const r = await this.cmd.run(['backup', '--json', '--host', 'bench', ...this.backupFlags, source], 'backup');
    const summary = r.stdout
      .split('\n')
      .filter((l) => l.includes('"message_type":"summary"'))
      .map((l) => JSON.parse(l) as Record<string, number | string>)
      .pop();
    if (!summary) throw new Error(`restic backup printed no summary:\n${r.stdout.slice(-2000)}`);
    return backupOf(r, String(summary.snapshot_id), summary);
  }

  /** `restic restore latest --target DIR` (restic recreates the absolute source path inside DIR). */
  async restore(target: string): Promise<ResticRun> {
    return runOf(await this.cmd.run(['restore', 'latest', '--host', 'bench', '--target', target], 'restore'));
  }
}
