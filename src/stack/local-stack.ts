import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { logger, type Logger } from '../common/logger';
import { loadPlanFile } from '../config/load-plan';
import { LOCAL_STACK, stateDir as defaultStateDir } from '../config/local-stack';
import { busyPorts } from './ports';
import { killGroup } from './process';
import { launchSeaweed, s3Ready, type SeaweedPorts, type SeaweedServer } from './seaweed';
import { launchTemporal, temporalReady, type TemporalServer } from './temporal-server';
import { WorkerSupervisor } from './worker-process';

/** Every TCP port the local stack listens on (all on 127.0.0.1). */
export interface LocalStackPorts {
  temporal: number;
  temporalHttp: number;
  temporalMetrics: number;
  temporalUi: number;
  seaweed: SeaweedPorts;
}

export type LocalStackPortOverrides = Partial<Omit<LocalStackPorts, 'seaweed'>> & { seaweed?: Partial<SeaweedPorts> };

/** The fixed ports of LOCAL_STACK, with overrides (tests use free ports). */
export function localStackPorts(over: LocalStackPortOverrides = {}): LocalStackPorts {
  const sw = LOCAL_STACK.seaweedPorts;
  return {
    temporal: over.temporal ?? LOCAL_STACK.temporalPort,
    temporalHttp: over.temporalHttp ?? LOCAL_STACK.temporalHttpPort,
    temporalMetrics: over.temporalMetrics ?? LOCAL_STACK.temporalMetricsPort,
    temporalUi: over.temporalUi ?? LOCAL_STACK.temporalUiPort,
    seaweed: {
      master: sw.master,
      masterGrpc: sw.masterGrpc,
      volume: sw.volume,
      volumeGrpc: sw.volumeGrpc,
      filer: sw.filer,
      filerGrpc: sw.filerGrpc,
      s3: LOCAL_STACK.s3Port,
      s3Grpc: sw.s3Grpc,
      admin: sw.admin,
      adminGrpc: sw.adminGrpc,
      ...over.seaweed,
    },
  };
}

/** Port -> what listens there, for messages. */
function portRoles(p: LocalStackPorts): { port: number; role: string }[] {
  return [
    { port: p.temporal, role: 'Temporal frontend (gRPC)' },
    { port: p.temporalUi, role: 'Temporal web UI' },
    { port: p.temporalHttp, role: 'Temporal HTTP API' },
    { port: p.temporalMetrics, role: 'Temporal metrics' },
    { port: p.seaweed.s3, role: 'SeaweedFS S3' },
    ...(Object.entries(p.seaweed) as [keyof SeaweedPorts, number][]).filter(([n]) => n !== 's3').map(([n, port]) => ({ port, role: `SeaweedFS ${n}` })),
  ];
}

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

/** Addresses of a running local stack (started here or found running). */
export interface LocalStackEndpoints {
  temporalAddress: string;
  namespace: string;
  uiUrl: string;
  s3Endpoint: string;
  bucket: string;
  region: string;
  logDir: string;
  stateDir: string;
}

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
  log?: Logger;
}

export interface LocalStack extends LocalStackEndpoints {
  ports: LocalStackPorts;
  paths: LocalStackPaths;
  temporal: TemporalServer;
  seaweed: SeaweedServer;
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

/** A port of the stack is taken: names the port, what should be there and who seems to hold it. */
export class StackPortsBusyError extends Error {
  constructor(
    message: string,
    readonly busy: { port: number; role: string }[],
  ) {
    super(message);
    this.name = 'StackPortsBusyError';
  }
}

/** Ctrl-C arrived while the stack was starting. */
export class StackInterruptedError extends Error {
  constructor() {
    super('interrupted while starting; everything started was stopped');
    this.name = 'StackInterruptedError';
  }
}

interface StatusFile {
  pid: number;
  startedAt: string;
  stateDir: string;
  endpoints: Omit<LocalStackEndpoints, 'logDir' | 'stateDir'>;
  children: { name: string; pid: number; match: string }[];
}

function readStatus(file: string): StatusFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StatusFile;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether pid runs a command line containing match (guards against reused pids). */
function runs(pid: number, match: string): boolean {
  if (!alive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(match);
  } catch {
    return true; // no /proc: trust the pid
  }
}

/**
 * A previous `up` that was killed (SIGKILL, crash) leaves its servers running in their own
 * process groups, holding the ports and the SQLite file. Stop them, since this state dir is ours.
 */
async function reapLeftovers(status: StatusFile, log: Logger): Promise<void> {
  const left = status.children.filter((c) => runs(c.pid, c.match));
  if (left.length === 0) return;
  log.warn({ leftovers: left }, `stopping ${left.map((c) => `${c.name} (pid ${c.pid})`).join(', ')} left running by a lepton-dr up (pid ${status.pid}) that did not shut down`);
  for (const c of left) killGroup(c.pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (left.some((c) => alive(c.pid)) && Date.now() < deadline) await sleep(100);
  for (const c of left) killGroup(c.pid, 'SIGKILL');
  while (left.some((c) => alive(c.pid)) && Date.now() < deadline + 2000) await sleep(50);
}

function busyMessage(busy: { port: number; role: string }[], owner: StatusFile | undefined, temporalAnswers: boolean, uiUrl: string): string {
  const shown = busy.slice(0, 4).map((b) => `  127.0.0.1:${b.port}  (${b.role})`);
  const lines = busy.length > shown.length ? [...shown, `  ... and ${busy.length - shown.length} more of the stack's ports`] : shown;
  const head = `cannot start the local stack: ${busy.length === 1 ? 'this port is' : 'these ports are'} already in use:\n${lines.join('\n')}`;
  if (owner) {
    return (
      `${head}\nThe local stack is already running: lepton-dr up, pid ${owner.pid}, since ${owner.startedAt} (state ${owner.stateDir}).\n` +
      `Use it as it is (Temporal UI ${owner.endpoints.uiUrl}, gRPC ${owner.endpoints.temporalAddress}, S3 ${owner.endpoints.s3Endpoint}), ` +
      `or stop it first: Ctrl-C in its terminal, or kill -INT ${owner.pid}.`
    );
  }
  if (temporalAnswers) {
    return (
      `${head}\nA Temporal server already answers there (another "lepton-dr up" with a different state dir, or a "temporal server start-dev" of your own; ` +
      `its UI would be ${uiUrl}). Stop it, or point lepton-dr at it with TEMPORAL_ADDRESS instead of starting the stack.`
    );
  }
  return `${head}\nAnother program holds ${busy.length === 1 ? 'it' : 'them'}; find it with: ss -ltnp | grep -E ':(${busy.map((b) => b.port).join('|')})\\b'`;
}

/** Rename x.log to x.log.1 so each run starts a fresh log and one previous run is kept. */
function rotate(file: string): void {
  try {
    if (fs.statSync(file).size > 0) fs.renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}

/** Where weed can put its unix sockets: unix socket paths must stay under 108 bytes. */
function socketDir(paths: LocalStackPaths): string {
  const dir = path.join(paths.runDir, 'sock');
  return dir.length < 90 ? dir : fs.mkdtempSync('/tmp/lepton-dr-sock-');
}

const isLocalHost = (h: string) => ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(h);

/**
 * The worker's environment. Without a plan file, the built-in plan of the local stack is pointed
 * at the actual ports; with one, the local S3 credentials are given only if its repository is
 * the local S3 (a plan for real S3 keeps the standard AWS credential chain).
 */
function workerEnvFor(
  planFile: string | undefined,
  ep: LocalStackEndpoints,
  ports: LocalStackPorts,
  extra: NodeJS.ProcessEnv | undefined,
  log: Logger,
): NodeJS.ProcessEnv {
  const creds = {
    AWS_ACCESS_KEY_ID: LOCAL_STACK.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_STACK.secretAccessKey,
    AWS_REGION: ep.region,
  };
  const base: NodeJS.ProcessEnv = { ...process.env, LEPTON_DR_STATE_DIR: ep.stateDir, ...extra };
  if (!planFile) {
    return { ...base, ...creds, TEMPORAL_ADDRESS: ep.temporalAddress, TEMPORAL_NAMESPACE: ep.namespace, LEPTON_DR_S3_ENDPOINT: ep.s3Endpoint, ...extra };
  }
  const plan = loadPlanFile(planFile, base);
  let localS3 = false;
  if (plan.repository.endpoint) {
    const u = new URL(plan.repository.endpoint);
    localS3 = isLocalHost(u.hostname) && Number(u.port || 80) === ports.seaweed.s3;
  }
  const [host, port] = plan.temporal.address.split(/:(?=\d+$)/);
  if (!(isLocalHost(host) && Number(port) === ports.temporal)) {
    log.warn({ plan: planFile, temporal: plan.temporal.address }, `the plan points the worker at Temporal ${plan.temporal.address}, not at this stack (${ep.temporalAddress})`);
  }
  return localS3 ? { ...base, ...creds, ...extra } : base;
}

export function stackEnv(ep: LocalStackEndpoints): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: LOCAL_STACK.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_STACK.secretAccessKey,
    AWS_REGION: ep.region,
    TEMPORAL_ADDRESS: ep.temporalAddress,
    TEMPORAL_NAMESPACE: ep.namespace,
    LEPTON_DR_S3_ENDPOINT: ep.s3Endpoint,
    LEPTON_DR_STATE_DIR: ep.stateDir,
  };
}

/** The endpoints a stack on these ports has. */
export function localStackEndpoints(ports: LocalStackPorts = localStackPorts(), state = defaultStateDir()): LocalStackEndpoints {
  return {
    temporalAddress: `127.0.0.1:${ports.temporal}`,
    namespace: LOCAL_STACK.namespace,
    uiUrl: `http://127.0.0.1:${ports.temporalUi}`,
    s3Endpoint: `http://127.0.0.1:${ports.seaweed.s3}`,
    bucket: LOCAL_STACK.bucket,
    region: LOCAL_STACK.region,
    logDir: localStackPaths(state).logDir,
    stateDir: state,
  };
}

/**
 * Whether a usable local stack already answers on these ports: Temporal serves the namespace
 * with our search attributes and S3 accepts the local credentials. Used by `demo` to reuse a
 * stack brought up by `lepton-dr up`.
 */
export async function probeLocalStack(ports: LocalStackPorts = localStackPorts(), state = defaultStateDir()): Promise<LocalStackEndpoints | undefined> {
  const ep = localStackEndpoints(ports, state);
  try {
    await Promise.all([
      temporalReady(ep.temporalAddress, ep.namespace),
      s3Ready(ep.s3Endpoint, { accessKeyId: LOCAL_STACK.accessKeyId, secretAccessKey: LOCAL_STACK.secretAccessKey, bucket: ep.bucket, region: ep.region }),
    ]);
    return ep;
  } catch {
    return undefined;
  }
}

/** The lines printed once the stack is up. */
export function stackBanner(s: LocalStackEndpoints & { worker?: WorkerSupervisor }): string {
  return [
    '',
    'lepton-dr local stack is up',
    `  Temporal UI    ${s.uiUrl}`,
    `  Temporal gRPC  ${s.temporalAddress}  (namespace ${s.namespace})`,
    `  S3 endpoint    ${s.s3Endpoint}  (bucket ${s.bucket}, key ${LOCAL_STACK.accessKeyId})`,
    `  worker         ${s.worker ? `pid ${s.worker.pid ?? '-'}, restarted if it dies` : 'not started (--no-worker)'}`,
    `  logs           ${s.logDir}`,
    `  state          ${s.stateDir}`,
    'Press Ctrl-C to stop everything (state is kept for the next start).',
    '',
  ].join('\n');
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
  for (const d of [paths.logDir, path.dirname(paths.temporalDb), paths.seaweedDir, paths.runDir]) fs.mkdirSync(d, { recursive: true });
  const workerPlan = o.planFile ?? process.env.LEPTON_DR_PLAN;
  // A bad plan fails now, with the plan's own message, not after the servers started.
  if (o.withWorker && workerPlan) loadPlanFile(workerPlan);

  // Another `up` on this state dir, or leftovers of one that was killed?
  const previous = readStatus(paths.statusFile);
  if (previous && (previous.pid === process.pid || runs(previous.pid, 'node'))) {
    const busy = await busyPorts(portRoles(ports));
    throw new StackPortsBusyError(busyMessage(busy.length ? busy : portRoles(ports).slice(0, 1), previous, false, ep.uiUrl), busy);
  }
  if (previous) {
    await reapLeftovers(previous, log);
    fs.rmSync(paths.statusFile, { force: true });
  }
  const busy = await busyPorts(portRoles(ports));
  if (busy.length) {
    const temporalAnswers = busy.some((b) => b.port === ports.temporal) && (await temporalReady(ep.temporalAddress, ep.namespace).then(() => true, () => false));
    throw new StackPortsBusyError(busyMessage(busy, undefined, temporalAnswers, ep.uiUrl), busy);
  }

  // A signal while starting stops what was started; one after is a normal stop.
  let interrupted = false;
  let stack: LocalStack | undefined = undefined; // set once up; the signal handler reads it
  let forced = false;
  let worker: WorkerSupervisor | undefined;
  const extraWorkers: WorkerSupervisor[] = [];
  let stopping: Promise<void> | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stack) {
      if (stopping) {
        if (!forced) {
          forced = true;
          log.warn(`${sig} again: killing everything now`);
          for (const p of [stack.worker?.pid, ...extraWorkers.map((w) => w.pid), stack.temporal.server.pid, stack.seaweed.server.pid]) if (p) killGroup(p, 'SIGKILL');
        }
        return;
      }
      log.info(`${sig}: stopping the local stack (worker first, then the servers)`);
      void stack.stop();
    } else if (!interrupted) {
      interrupted = true;
      log.info(`${sig}: stopping what was started so far`);
    }
  };
  const handleSignals = o.handleSignals ?? true;
  // Without our own handlers, let the launcher kill the servers on a signal (they must never outlive us).
  const killOnSignal = !handleSignals;
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const removeSignalHandlers = () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };

  const logFile = (name: string) => path.join(paths.logDir, `${name}.log`);
  for (const n of ['temporal', 'seaweedfs', 'worker']) rotate(logFile(n));
  log.info({ state: paths.stateDir, logs: paths.logDir }, 'starting Temporal dev server and SeaweedFS');
  const timeoutMs = o.startTimeoutMs ?? 90_000;
  const [tRes, sRes] = await Promise.allSettled([
    launchTemporal({
      port: ports.temporal,
      httpPort: ports.temporalHttp,
      metricsPort: ports.temporalMetrics,
      uiPort: ports.temporalUi,
      dbFile: paths.temporalDb,
      logFile: logFile('temporal'),
      cwd: path.dirname(paths.temporalDb),
      startTimeoutMs: timeoutMs,
      killOnSignal,
    }),
    launchSeaweed({
      ports: ports.seaweed,
      dataDir: path.join(paths.seaweedDir, 'data'),
      glogDir: path.join(paths.logDir, 'seaweedfs-glog'),
      socketDir: socketDir(paths),
      tmpDir: path.join(paths.seaweedDir, 'tmp'),
      logFile: logFile('seaweedfs'),
      accessKeyId: LOCAL_STACK.accessKeyId,
      secretAccessKey: LOCAL_STACK.secretAccessKey,
      bucket: LOCAL_STACK.bucket,
      region: LOCAL_STACK.region,
      startTimeoutMs: timeoutMs,
      killOnSignal,
    }),
  ]);
  if (tRes.status === 'rejected' || sRes.status === 'rejected' || interrupted) {
    await Promise.all([
      tRes.status === 'fulfilled' ? tRes.value.stop() : undefined,
      sRes.status === 'fulfilled' ? sRes.value.stop() : undefined,
    ]);
    if (handleSignals) removeSignalHandlers();
    if (interrupted) throw new StackInterruptedError();
    throw tRes.status === 'rejected' ? tRes.reason : (sRes as PromiseRejectedResult).reason;
  }
  const temporal = tRes.value;
  const seaweed = sRes.value;
  log.info({ ms: Date.now() - t0, temporal: temporal.address, ui: temporal.uiUrl, s3: seaweed.endpoint }, 'servers ready');

  const writeStatus = () => {
    const status: StatusFile = {
      pid: process.pid,
      startedAt: new Date(t0).toISOString(),
      stateDir: paths.stateDir,
      endpoints: { temporalAddress: ep.temporalAddress, namespace: ep.namespace, uiUrl: ep.uiUrl, s3Endpoint: ep.s3Endpoint, bucket: ep.bucket, region: ep.region },
      children: [
        { name: 'temporal', pid: temporal.server.pid, match: 'start-dev' },
        { name: 'weed', pid: seaweed.server.pid, match: 'mini' },
        ...[worker, ...extraWorkers].flatMap((w) => (w?.pid ? [{ name: 'worker', pid: w.pid, match: w.script }] : [])),
      ],
    };
    fs.writeFileSync(paths.statusFile, JSON.stringify(status, null, 2));
  };

  const makeWorker = (planFile: string | undefined, logName: string, env?: NodeJS.ProcessEnv) =>
    new WorkerSupervisor({
      planFile,
      env: workerEnvFor(planFile, ep, ports, { ...o.workerEnv, ...env }, log),
      logFile: logFile(logName),
      log: log.child({ process: logName }),
      killOnSignal,
      onSpawn: () => {
        if (stack && !stopping) writeStatus();
      },
    });

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const s0 = Date.now();
      await Promise.all([worker, ...extraWorkers].map((w) => w?.stop()));
      const workersMs = Date.now() - s0;
      await Promise.all([temporal.stop(), seaweed.stop()]);
      for (const [name, p] of [['Temporal', temporal.server], ['SeaweedFS', seaweed.server]] as const) {
        if (p.exitStatus === 'signal SIGKILL' && !forced) log.warn({ log: p.logFile }, `${name} did not stop within its grace time and was killed`);
      }
      fs.rmSync(paths.statusFile, { force: true });
      if (handleSignals) removeSignalHandlers();
      log.info({ ms: Date.now() - s0, workersMs, serversMs: Date.now() - s0 - workersMs }, 'local stack stopped');
      resolveStopped();
    })());

  try {
    worker = o.withWorker ? makeWorker(workerPlan, 'worker') : undefined;
    worker?.start();
  } catch (e) {
    await stop();
    throw e;
  }

  stack = {
    ...ep,
    ports,
    paths,
    temporal,
    seaweed,
    worker,
    env: stackEnv(ep),
    startWorker: (opts = {}) => {
      const name = opts.logName ?? `worker-${extraWorkers.length + 1}`;
      rotate(logFile(name));
      const w = makeWorker(opts.planFile, name, opts.env);
      extraWorkers.push(w);
      w.start();
      writeStatus();
      return w;
    },
    stop,
    stopped,
  };
  writeStatus();
  if (interrupted) {
    await stop();
    throw new StackInterruptedError();
  }
  log.info({ ms: Date.now() - t0, ui: ep.uiUrl, temporal: ep.temporalAddress, s3: ep.s3Endpoint, logs: paths.logDir, worker: worker?.pid }, 'local stack ready');
  if (o.banner ?? true) process.stdout.write(stackBanner(stack));
  await o.onReady?.(stack);
  return stack;
}

/**
 * A supervised worker for a stack that some other process runs (e.g. `demo` next to `up`);
 * its log goes to <state>/logs/<logName>.log.
 */
export function startStandaloneWorker(o: {
  endpoints: LocalStackEndpoints;
  ports?: LocalStackPorts;
  planFile?: string;
  logName: string;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}): WorkerSupervisor {
  const log = (o.log ?? logger()).child({ component: 'stack', process: o.logName });
  const file = path.join(o.endpoints.logDir, `${o.logName}.log`);
  rotate(file);
  const w = new WorkerSupervisor({
    planFile: o.planFile,
    env: workerEnvFor(o.planFile, o.endpoints, o.ports ?? localStackPorts(), o.env, log),
    logFile: file,
    log,
  });
  w.start();
  return w;
}
