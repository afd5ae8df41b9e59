import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RepositoryConfig } from '../../src/config/plan-schema';
import { PortClashError, removeAllBut } from '../../src/stack/process';
import { freePorts } from '../../src/stack/ports';
import { launchSeaweed, SEAWEED_PORT_NAMES, SEAWEED_REGION, seaweedPortsFrom, type SeaweedServer } from '../../src/stack/seaweed';
import { findTool } from '../../src/stack/tools';

export interface SeaweedOptions {
  /** Bucket created before startSeaweed resolves (default "lepton-test"; 3-63 chars). */
  bucket?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  startTimeoutMs?: number;
  /** Appended to the `weed mini` flags. */
  extraArgs?: string[];
}

export interface Seaweed {
  /** S3 endpoint, e.g. "http://127.0.0.1:40123" (path-style addressing). */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Temp folder holding data, sockets and weed.log; removed by stop(). */
  dir: string;
  logFile: string;
  /** AWS_* variables for a child process (worker, CLI) that should use this server. */
  env: Record<string, string>;
  /** A repository config for openStore() at s3://<bucket>/<prefix>. */
  repository(prefix?: string): RepositoryConfig;
  /** Kills the server and removes dir. Idempotent. */
  stop(): Promise<void>;
}

/** One server in a fresh temp folder on fresh free ports (launcher: src/stack/seaweed.ts). */
async function startOnce(weed: string, opts: Required<SeaweedOptions>): Promise<{ dir: string; weed: SeaweedServer }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-weed-'));
  try {
    const started = await launchSeaweed({
      binary: weed,
      ports: seaweedPortsFrom(await freePorts(SEAWEED_PORT_NAMES.length)),
      dataDir: path.join(dir, 'data'),
      glogDir: path.join(dir, 'log'),
      socketDir: dir,
      tmpDir: path.join(dir, 'tmp'),
      logFile: path.join(dir, 'weed.log'),
      cwd: dir,
      accessKeyId: opts.accessKeyId,
      secretAccessKey: opts.secretAccessKey,
      bucket: opts.bucket,
      startTimeoutMs: opts.startTimeoutMs,
      extraArgs: opts.extraArgs,
      cleanupAtExit: () => fs.rmSync(dir, { recursive: true, force: true }),
    });
    return { dir, weed: started };
  } catch (err) {
    if (err instanceof PortClashError) fs.rmSync(dir, { recursive: true, force: true });
    else removeAllBut(dir, path.join(dir, 'weed.log'));
    throw err;
  }
}

/**
 * Starts SeaweedFS (`weed mini`) on free loopback ports with a fresh data folder, creates the
 * bucket, and resolves once S3 answers signed requests (about 1 s). Retries with new ports if
 * one was taken in the meantime.
 */
export async function startSeaweed(options: SeaweedOptions = {}): Promise<Seaweed> {
  const opts: Required<SeaweedOptions> = {
    bucket: options.bucket ?? 'lepton-test',
    accessKeyId: options.accessKeyId ?? 'lepton-test-key',
    secretAccessKey: options.secretAccessKey ?? 'lepton-test-secret',
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    extraArgs: options.extraArgs ?? [],
  };
  const binary = findTool('weed');
  let started: { dir: string; weed: SeaweedServer } | undefined;
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await startOnce(binary, opts);
    } catch (err) {
      if (!(err instanceof PortClashError) || attempt >= 3) throw err;
    }
  }
  const { dir, weed } = started;
  const endpoint = weed.endpoint;
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    bucket: opts.bucket,
    region: SEAWEED_REGION,
    accessKeyId: opts.accessKeyId,
    secretAccessKey: opts.secretAccessKey,
    dir,
    logFile: weed.logFile,
    env: {
      AWS_ACCESS_KEY_ID: opts.accessKeyId,
      AWS_SECRET_ACCESS_KEY: opts.secretAccessKey,
      AWS_REGION: SEAWEED_REGION,
      AWS_ENDPOINT_URL_S3: endpoint,
    },
    repository: (prefix = 'repo') => ({
      url: `s3://${opts.bucket}/${prefix}`,
      endpoint,
      region: SEAWEED_REGION,
      pathStyle: true,
      packSizeMiB: 32,
      pruneMinGraceHours: 1,
      repackBelow: 0.2,
    }),
    // The data dir is thrown away, so there is nothing to shut down cleanly: SIGKILL saves ~1.2 s.
    stop: () =>
      (stopped ??= (async () => {
        await weed.stop(0);
        fs.rmSync(dir, { recursive: true, force: true });
      })()),
  };
}
