import path from 'node:path';
import { LOCAL_STACK } from '../config/local-stack';
import type { Logger } from '../common/logger';
import { PortClashError } from './process';
import { launchSeaweed, type SeaweedServer, type SeaweedServerOptions } from './seaweed';
import { socketDir, stackLogFile, type LocalStackPaths } from './stack-paths';
import type { LocalStackPorts } from './stack-ports';
import { ServerSupervisor, type ServerRestartPolicy } from './server-supervisor';
import { launchTemporal, type TemporalServer, type TemporalServerOptions } from './temporal-server';

export interface StackServerSettings {
  paths: LocalStackPaths;
  ports: LocalStackPorts;
  startTimeoutMs: number;
  killOnSignal: boolean;
}

/** The Temporal dev server of the stack: its SQLite file in the state dir, the stack's ports. */
function temporalOptions(s: StackServerSettings): TemporalServerOptions {
  return {
    port: s.ports.temporal,
    httpPort: s.ports.temporalHttp,
    metricsPort: s.ports.temporalMetrics,
    uiPort: s.ports.temporalUi,
    dbFile: s.paths.temporalDb,
    logFile: stackLogFile(s.paths, 'temporal'),
    cwd: path.dirname(s.paths.temporalDb),
    startTimeoutMs: s.startTimeoutMs,
    killOnSignal: s.killOnSignal,
  };
}

/** `weed mini` of the stack: its data in the state dir, the stack's ports and local credentials. */
function seaweedOptions(s: StackServerSettings): SeaweedServerOptions {
  return {
    ports: s.ports.seaweed,
    dataDir: path.join(s.paths.seaweedDir, 'data'),
    glogDir: path.join(s.paths.logDir, 'seaweedfs-glog'),
    socketDir: socketDir(s.paths),
    tmpDir: path.join(s.paths.seaweedDir, 'tmp'),
    logFile: stackLogFile(s.paths, 'seaweedfs'),
    accessKeyId: LOCAL_STACK.accessKeyId,
    secretAccessKey: LOCAL_STACK.secretAccessKey,
    bucket: LOCAL_STACK.bucket,
    region: LOCAL_STACK.region,
    startTimeoutMs: s.startTimeoutMs,
    killOnSignal: s.killOnSignal,
  };
}

export interface StackServerOptions {
  temporal: TemporalServerOptions;
  seaweed: SeaweedServerOptions;
}

/** Options of both servers, computed once so every (re)start uses the same state and ports. */
export function stackServerOptions(s: StackServerSettings): StackServerOptions {
  return { temporal: temporalOptions(s), seaweed: seaweedOptions(s) };
}

/**
 * Starts both servers at once. If either fails (or interrupted() says so once both settled),
 * stops the other and returns the failure instead of the servers.
 */
export async function launchStackServers(
  o: StackServerOptions,
  interrupted: () => boolean,
  launchers: { temporal: typeof launchTemporal; seaweed: typeof launchSeaweed } = { temporal: launchTemporal, seaweed: launchSeaweed },
): Promise<{ temporal: TemporalServer; seaweed: SeaweedServer } | { failure: unknown } | { interrupted: true }> {
  // The dev server's history, matching and worker services bind loopback ports it picks itself,
  // and one can land on a port chosen for the stack a moment before: a port clash is retried
  // twice with the same options (a port that is really taken fails every time, as before).
  for (let attempt = 1; ; attempt++) {
    const r = await launchBoth(o, interrupted, launchers);
    if (!('failure' in r) || !(r.failure instanceof PortClashError) || attempt >= 3) return r;
  }
}

async function launchBoth(
  o: StackServerOptions,
  interrupted: () => boolean,
  launchers: { temporal: typeof launchTemporal; seaweed: typeof launchSeaweed },
): Promise<{ temporal: TemporalServer; seaweed: SeaweedServer } | { failure: unknown } | { interrupted: true }> {
  const [tRes, sRes] = await Promise.allSettled([launchers.temporal(o.temporal), launchers.seaweed(o.seaweed)]);
  if (tRes.status === 'fulfilled' && sRes.status === 'fulfilled' && !interrupted()) return { temporal: tRes.value, seaweed: sRes.value };
  await Promise.all([tRes.status === 'fulfilled' ? tRes.value.stop() : undefined, sRes.status === 'fulfilled' ? sRes.value.stop() : undefined]);
  if (interrupted()) return { interrupted: true };
  return { failure: tRes.status === 'rejected' ? tRes.reason : (sRes as PromiseRejectedResult).reason };
}

/** Both servers of a running stack, each restarted with the same state whenever it dies. */
export class SupervisedStackServers {
  readonly temporal: ServerSupervisor<TemporalServer>;
  readonly seaweed: ServerSupervisor<SeaweedServer>;

  constructor(
    first: { temporal: TemporalServer; seaweed: SeaweedServer },
    o: StackServerOptions,
    s: { log: Logger; policy?: ServerRestartPolicy; onRestart: () => void; onGiveUp: (message: string) => void },
  ) {
    const common = { ...s.policy, log: s.log, onRestart: s.onRestart, onGiveUp: s.onGiveUp };
    this.temporal = new ServerSupervisor(first.temporal, {
      ...common,
      name: 'Temporal dev server',
      keeps: `SQLite ${o.temporal.dbFile}, gRPC port ${o.temporal.port}`,
      launch: () => launchTemporal(o.temporal),
    });
    this.seaweed = new ServerSupervisor(first.seaweed, {
      ...common,
      name: 'SeaweedFS',
      keeps: `data ${o.seaweed.dataDir}, S3 port ${o.seaweed.ports.s3}`,
      launch: () => launchSeaweed(o.seaweed),
    });
  }

  /** pids of the servers running now. */
  pids(): number[] {
    return [this.temporal.current.server.pid, this.seaweed.current.server.pid];
  }

  async stop(): Promise<void> {
    await Promise.all([this.temporal.stop(), this.seaweed.stop()]);
  }
}
