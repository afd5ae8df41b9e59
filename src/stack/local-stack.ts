import { logger, type Logger } from '../common/logger';
import { loadPlanFile } from '../config/load-plan';
import { stateDir as defaultStateDir } from '../config/local-stack';
import type { SeaweedServer } from './seaweed';
import { claimStateDir } from './claim-state-dir';
import { stackBanner } from './stack-banner';
import { localStackEndpoints, stackEnv, type LocalStackEndpoints } from './stack-endpoints';
import { localStackPaths, makeStackDirs, rotateLog, stackLogFile, type LocalStackPaths } from './stack-paths';
import { localStackPorts, type LocalStackPortOverrides, type LocalStackPorts } from './stack-ports';
import type { ServerRestartPolicy } from './server-supervisor';
import { launchStackServers, stackServerOptions } from './stack-servers';
import { StackRuntime } from './stack-runtime';
import { StackSignals } from './stack-signals';
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

  const rt = new StackRuntime({
    startedAt: t0,
    paths,
    ports,
    endpoints: ep,
    servers: launched,
    serverOptions,
    serverRestart: o.serverRestart,
    workerEnv: o.workerEnv,
    signals,
    killOnSignal,
    log,
  });
  try {
    if (o.withWorker) rt.workers.startMain(workerPlan);
  } catch (e) {
    await rt.stop();
    throw e;
  }
  const stack: LocalStack = {
    ...ep,
    ports,
    paths,
    get temporal() {
      return rt.servers.temporal.current;
    },
    get seaweed() {
      return rt.servers.seaweed.current;
    },
    get failure() {
      return rt.failure;
    },
    worker: rt.workers.main,
    env: stackEnv(ep),
    startWorker: (opts) => rt.startWorker(opts),
    stop: () => rt.stop(),
    stopped: rt.stopped,
  };
  signals.attach({ stopping: () => rt.isStopping(), stop: () => void rt.stop(), killAll: () => rt.killAll() });
  rt.writeStatus();
  if (signals.interrupted) {
    await rt.stop();
    throw new StackInterruptedError();
  }
  log.info(
    { ms: Date.now() - t0, ui: ep.uiUrl, temporal: ep.temporalAddress, s3: ep.s3Endpoint, logs: paths.logDir, worker: rt.workers.main?.pid },
    'local stack ready',
  );
  if (o.banner ?? true) process.stdout.write(stackBanner(stack));
  await o.onReady?.(stack);
  return stack;
}
