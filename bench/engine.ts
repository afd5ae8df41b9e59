import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Compression } from '../src/engine/repo/blob-compression';
import type { EngineJob, EngineJobResult } from './engine-child';
import { WORK_PROCESS_NODE_FLAGS, workProcessEnv } from '../src/common/node-flags';
import { check, runMeasured } from './measure';

/** lepton-dr engine-direct (backupDirect / restoreDirect on S3Store via CountingStore), one child process per run. */
export interface EngineTarget {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  packSizeMiB: number;
  /** set: an encrypted repository (like restic, which always encrypts) */
  password?: string;
  compression: Compression;
  asset: string;
  workDir: string;
  /** extra node flags for the child, e.g. --cpu-prof */
  nodeFlags?: string[];
  /** bandwidth limits, chunk threads and their priority (bench/gentle.ts) */
  gentle?: Pick<EngineJob, 'limits' | 'chunkThreads' | 'chunkPriority'>;
}

export interface EngineRun extends EngineJobResult {
  /** spawn to exit, node start-up included (comparable to restic's wall time) */
  wallMs: number;
  /** peak RSS measured from outside, the same way as restic's */
  procMaxRssKiB: number;
  cpuS: number | undefined;
  load1: number;
}

export class EngineDirect {
  readonly keyHex = randomBytes(32).toString('hex');
  private n = 0;
  constructor(readonly t: EngineTarget) {
    fs.mkdirSync(t.workDir, { recursive: true });
  }

  private async run(job: Pick<EngineJob, 'op' | 'source' | 'target'>): Promise<EngineRun> {
    const resultFile = path.join(this.t.workDir, `result-${this.n++}.json`);
    const full: EngineJob = {
      ...job,
      endpoint: this.t.endpoint,
      region: this.t.region,
      bucket: this.t.bucket,
      prefix: this.t.prefix,
      accessKeyId: this.t.accessKeyId,
      secretAccessKey: this.t.secretAccessKey,
      keyHex: this.keyHex,
      asset: this.t.asset,
      packSizeMiB: this.t.packSizeMiB,
      password: this.t.password,
      compression: this.t.compression,
      resultFile,
      ...this.t.gentle,
    };
    const child = path.join(__dirname, '..', 'bundle', 'engine-child.js'); // bundled like the CLI and the worker users run
    const r = check(
      await runMeasured(process.execPath, [...WORK_PROCESS_NODE_FLAGS, ...(this.t.nodeFlags ?? []), child, JSON.stringify(full)], {
        env: workProcessEnv(process.env),
      }),
      `engine-direct ${job.op}`,
    );
    const res = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as EngineJobResult;
    return { ...res, wallMs: r.wallMs, procMaxRssKiB: r.maxRssKiB, cpuS: r.cpuS, load1: r.load1 };
  }

  backup(source: string): Promise<EngineRun> {
    return this.run({ op: 'backup', source });
  }

  restore(target: string): Promise<EngineRun> {
    return this.run({ op: 'restore', target });
  }
}
