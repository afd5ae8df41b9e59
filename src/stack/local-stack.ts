import { logger, type Logger } from '../common/logger';
import { loadPlanFile } from '../config/load-plan';
import { stateDir as defaultStateDir } from '../config/local-stack';
import { killGroup } from './process';
import type { SeaweedServer } from './seaweed';
import { claimStateDir } from './claim-state-dir';
import { stackBanner } from './stack-banner';
import { localStackEndpoints, stackEnv, type LocalStackEndpoints } from './stack-endpoints';
import { localStackPaths, makeStackDirs, rotateLog, stackLogFile, type LocalStackPaths } from './stack-paths';
import { localStackPorts, type LocalStackPortOverrides, type LocalStackPorts } from './stack-ports';
import type { ServerRestartPolicy } from './server-supervisor';
import { launchStackServers, stackServerOptions, SupervisedStackServers } from './stack-servers';
import { StackSignals } from './stack-signals';
import { removeStackStatus, writeStackStatus } from './stack-status';
import { StackWorkers } from './stack-workers';
import type { TemporalServer } from './temporal-server';
import type { WorkerSupervisor } from './worker-process';

export interface LocalStackOptions {
  /** Also run a worker (restarted whenever it dies). */
  withWorker: boolean;
  /** The worker's plan (default: LEPTON_DR_PLAN, else the built-in plan of the local stack). */
  planFile?: string;
  /** Called once everything is up (before startLocalStack resolves). */
  onReady?: (stack: LocalStack) => void | Promise<void>;
  /** Non-default ports (tests). */
  ports?: LocalStackPortOverrides;
  /** Default: stateDir() (LEPTON_DR_STATE_DIR or <project>/.state). */
  stateDir?: string;
  /** Stop everything on SIGINT/SIGTERM (default true; a second signal kills at once). */
  handleSignals?: boolean;
  /** Print the addresses once up (default true). */
  banner?: boolean;
  /** Extra environment of the worker. */
  workerEnv?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
  /** How a server that died is restarted, and when the stack gives up on it (tests make it quick). */
  serverRestart?: ServerRestartPolicy;
  log?: Logger;
}

export interface LocalStack extends LocalStackEndpoints {
  ports: LocalStackPorts;
  paths: LocalStackPaths;
  /** The Temporal dev server running now (a new one after each restart). */
  readonly temporal: TemporalServer;
  /** The SeaweedFS server running now (a new one after each restart). */
  readonly seaweed: SeaweedServer;
  /** Set when the stack stopped because a server kept dying: the message that said so. */
  readonly failure: string | undefined;
  worker: WorkerSupervisor | undefined;
  /** Variables for a process that should use this stack (credentials, endpoints, state dir). */
  env: Record<string, string>;
  /** Starts (another) supervised worker on this stack, stopped with the stack. */
  startWorker(opts?: { planFile?: string; logName?: string; env?: NodeJS.ProcessEnv }): WorkerSupervisor;
  /** Stops workers first, then the servers (each gets a clean shutdown). Idempotent. */
  stop(): Promise<void>;
  /** Resolves once the stack has stopped (by stop() or a signal). */
  readonly stopped: Promise<void>;
}

/** Ctrl-C arrived while the stack was starting. */
export class StackInterruptedError extends Error {
  constructor() {
    super('interrupted while starting; everything started was stopped');
    this.name = 'StackInterruptedError';
  }
}

/**
 * Starts the embedded local stack: the Temporal dev server (SQLite state in
 * <state>/temporal/temporal.db, web UI, the project's search attributes), SeaweedFS `weed mini`
 * as S3 (data in <state>/seaweed, bucket created), and optionally a supervised worker. Logs of
 * each process go to <state>/logs. Running it again on the same state dir resumes everything.
 */
export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const t0 = Date.now();
  const log = (o.log ?? logger()).child({ component: 'stack' });
  const paths = localStackPaths(o.stateDir ?? defaultStateDir());
  const ports = localStackPorts(o.ports);
  const ep = localStackEndpoints(ports, paths.stateDir);
  makeStackDirs(paths);
  const workerPlan = o.planFile ?? process.env.LEPTON_DR_PLAN;
  // A bad plan fails now, with the plan's own message, not after the servers started.
  if (o.withWorker && workerPlan) loadPlanFile(workerPlan);
  await claimStateDir(paths, ports, ep, log);

  // A signal while starting stops what was started; one after is a normal stop.
  const signals = new StackSignals(log, o.handleSignals ?? true);
  // Without our own handlers, let the launcher kill the servers on a signal (they must never outlive us).
  const killOnSignal = !signals.enabled;

  for (const n of ['temporal', 'seaweedfs', 'worker']) rotateLog(stackLogFile(paths, n));
  log.info({ state: paths.stateDir, logs: paths.logDir }, 'starting Temporal dev server and SeaweedFS');
  const serverOptions = stackServerOptions({ paths, ports, startTimeoutMs: o.startTimeoutMs ?? 90_000, killOnSignal });
  const launched = await launchStackServers(serverOptions, () => signals.interrupted);
  if (!('temporal' in launched)) {
    signals.remove();
    if ('interrupted' in launched) throw new StackInterruptedError();
    throw launched.failure;
  }
  log.info({ ms: Date.now() - t0, temporal: launched.temporal.address, ui: launched.temporal.uiUrl, s3: launched.seaweed.endpoint }, 'servers ready');

  let up = false;
  let stopping: Promise<void> | undefined;
  let failure: string | undefined;
  const servers = new SupervisedStackServers(launched, serverOptions, {
    log,
    policy: o.serverRestart,
    onRestart: () => {
      if (up && !stopping) writeStatus();
    },
    onGiveUp: (message) => {
      failure = message;
      log.error('stopping the local stack: it cannot run without that server');
      void stop();
    },
  });
  const writeStatus = () =>
    writeStackStatus(paths.statusFile, {
      pid: process.pid,
      startedAt: new Date(t0).toISOString(),
      stateDir: paths.stateDir,
      endpoints: { temporalAddress: ep.temporalAddress, namespace: ep.namespace, uiUrl: ep.uiUrl, s3Endpoint: ep.s3Endpoint, bucket: ep.bucket, region: ep.region },
      children: [
        { name: 'temporal', pid: servers.temporal.current.server.pid, match: 'start-dev' },
        { name: 'weed', pid: servers.seaweed.current.server.pid, match: 'mini' },
        ...workers.all().flatMap((w) => (w.pid ? [{ name: 'worker', pid: w.pid, match: w.script }] : [])),
      ],
      workers: workers.statuses(),
    });
  const workers = new StackWorkers({
    endpoints: ep,
    ports,
    env: o.workerEnv,
    log,
    killOnSignal,
    onChange: () => {
      if (up && !stopping) writeStatus();
    },
  });

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const s0 = Date.now();
      await workers.stop();
      const workersMs = Date.now() - s0;
      await servers.stop();
      for (const [name, p] of [['Temporal', servers.temporal.current.server], ['SeaweedFS', servers.seaweed.current.server]] as const) {
        if (p.exitStatus === 'signal SIGKILL' && !signals.forced && !failure) log.warn({ log: p.logFile }, `${name} did not stop within its grace time and was killed`);
      }
      removeStackStatus(paths.statusFile);
      signals.remove();
      log.info({ ms: Date.now() - s0, workersMs, serversMs: Date.now() - s0 - workersMs }, 'local stack stopped');
      resolveStopped();
    })());

  try {
    if (o.withWorker) workers.startMain(workerPlan);
  } catch (e) {
    await stop();
    throw e;
  }

  const stack: LocalStack = {
    ...ep,
    ports,
    paths,
    get temporal() {
      return servers.temporal.current;
    },
    get seaweed() {
      return servers.seaweed.current;
    },
    get failure() {
      return failure;
    },
    worker: workers.main,
    env: stackEnv(ep),
    startWorker: (opts = {}) => {
      const w = workers.startExtra(opts);
      writeStatus();
      return w;
    },
    stop,
    stopped,
  };
  up = true;
  signals.attach({
    stopping: () => stopping !== undefined,
    stop: () => void stop(),
    killAll: () => {
      for (const p of [...workers.all().map((w) => w.pid), ...servers.pids()]) if (p) killGroup(p, 'SIGKILL');
    },
  });
  writeStatus();
  if (signals.interrupted) {
    await stop();
    throw new StackInterruptedError();
  }
  log.info({ ms: Date.now() - t0, ui: ep.uiUrl, temporal: ep.temporalAddress, s3: ep.s3Endpoint, logs: paths.logDir, worker: workers.main?.pid }, 'local stack ready');
  if (o.banner ?? true) process.stdout.write(stackBanner(stack));
  await o.onReady?.(stack);
  return stack;
}
