import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PortClashError, removeAllBut } from '../../src/stack/process';
import { freePorts } from '../../src/stack/ports';
import { launchTemporal } from '../../src/stack/temporal-server';
import { findTool } from '../../src/stack/tools';

export interface TemporalOptions {
  /** Namespace to create and wait for (default "default", which always exists). */
  namespace?: string;
  /** Serve the web UI on a free port (default false: --headless, starts faster). */
  ui?: boolean;
  /** SQLite file to use, e.g. to restart a server on the same state; kept by stop(). Default: a temp file. */
  dbFile?: string;
  startTimeoutMs?: number;
  /** Appended to the `temporal server start-dev` flags. */
  extraArgs?: string[];
}

export interface TemporalDev {
  /** "127.0.0.1:<port>" for Connection.connect / NativeConnection.connect. */
  address: string;
  namespace: string;
  /** Web UI port; undefined when headless. */
  uiPort: number | undefined;
  httpPort: number;
  metricsPort: number;
  dbFile: string;
  /** Temp folder with temporal.log (and the db unless dbFile was given); removed by stop(). */
  dir: string;
  logFile: string;
  /** TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE for child processes. */
  env: Record<string, string>;
  /** Kills the server and removes dir. Idempotent. */
  stop(): Promise<void>;
}

/** One server in a fresh temp folder on fresh free ports (launcher: src/stack/temporal-server.ts). */
async function startOnce(binary: string, opts: TemporalOptions): Promise<TemporalDev> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lepton-temporal-'));
  const [port, httpPort, metricsPort, uiPortFree] = await freePorts(4);
  const logFile = path.join(dir, 'temporal.log');
  let t;
  try {
    t = await launchTemporal({
      binary,
      port,
      httpPort,
      metricsPort,
      uiPort: opts.ui ? uiPortFree : undefined,
      dbFile: opts.dbFile ?? path.join(dir, 'temporal.db'),
      namespace: opts.namespace,
      logFile,
      cwd: dir,
      startTimeoutMs: opts.startTimeoutMs,
      extraArgs: opts.extraArgs,
      cleanupAtExit: () => fs.rmSync(dir, { recursive: true, force: true }),
    });
  } catch (err) {
    if (err instanceof PortClashError) fs.rmSync(dir, { recursive: true, force: true });
    else removeAllBut(dir, logFile);
    throw err;
  }
  const server = t;
  let stopped: Promise<void> | undefined;
  return {
    address: server.address,
    namespace: server.namespace,
    uiPort: server.uiPort,
    httpPort,
    metricsPort,
    dbFile: server.dbFile,
    dir,
    logFile,
    env: { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace },
    stop: () =>
      (stopped ??= (async () => {
        // A throwaway db needs no clean shutdown (saves about 1.4 s); a caller's db gets one.
        await server.stop(opts.dbFile ? 5000 : 0);
        fs.rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

/**
 * Starts `temporal server start-dev` on free loopback ports with the lepton search attributes
 * and resolves once a client can use the namespace. Retries with new ports if one was taken in
 * the meantime.
 */
export async function startTemporal(opts: TemporalOptions = {}): Promise<TemporalDev> {
  const binary = findTool('temporal');
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, opts);
    } catch (err) {
      if (!(err instanceof PortClashError) || attempt >= 3) throw err;
    }
  }
}
