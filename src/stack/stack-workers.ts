import { logger, type Logger } from '../common/logger';
import { localStackPorts, type LocalStackPorts } from './stack-ports';
import { rotateLog, stackLogFile } from './stack-paths';
import type { LocalStackEndpoints } from './stack-endpoints';
import { workerEnvFor } from './worker-env';
import type { StackWorkerStatus } from './stack-status';
import { WorkerSupervisor } from './worker-process';

export interface StackWorkersOptions {
  endpoints: LocalStackEndpoints;
  ports: LocalStackPorts;
  /** Extra environment of every worker. */
  env?: NodeJS.ProcessEnv;
  log: Logger;
  killOnSignal: boolean;
  /** After each (re)start of any worker, and after each death. */
  onChange?: () => void;
}

/** The supervised workers of one stack: the main one (`up`'s) and any started later. */
export class StackWorkers {
  main: WorkerSupervisor | undefined;
  readonly extra: WorkerSupervisor[] = [];
  private readonly names = new Map<WorkerSupervisor, string>();

  constructor(private readonly o: StackWorkersOptions) {}

  /** A supervisor (not started yet) logging to <logDir>/<logName>.log. */
  make(planFile: string | undefined, logName: string, env?: NodeJS.ProcessEnv): WorkerSupervisor {
    const w = new WorkerSupervisor({
      planFile,
      env: workerEnvFor(planFile, this.o.endpoints, this.o.ports, { ...this.o.env, ...env }, this.o.log),
      logFile: stackLogFile(this.o.endpoints, logName),
      log: this.o.log.child({ process: logName }),
      killOnSignal: this.o.killOnSignal,
      onSpawn: () => this.o.onChange?.(),
      onExit: () => this.o.onChange?.(),
    });
    this.names.set(w, logName);
    return w;
  }

  startMain(planFile: string | undefined): WorkerSupervisor {
    this.main = this.make(planFile, 'worker');
    this.main.start();
    return this.main;
  }

  /** Another worker (its log rotated first), stopped with the others. */
  startExtra(opts: { planFile?: string; logName?: string; env?: NodeJS.ProcessEnv } = {}): WorkerSupervisor {
    const name = opts.logName ?? `worker-${this.extra.length + 1}`;
    rotateLog(stackLogFile(this.o.endpoints, name));
    const w = this.make(opts.planFile, name, opts.env);
    this.extra.push(w);
    w.start();
    return w;
  }

  all(): WorkerSupervisor[] {
    return [...(this.main ? [this.main] : []), ...this.extra];
  }

  /** For the status file: each worker's log, pid and how it last died. */
  statuses(): StackWorkerStatus[] {
    return this.all().map((w) => ({ name: this.names.get(w) ?? 'worker', log: w.logFile, pid: w.pid, restarts: w.restarts, lastExit: w.lastExit }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((w) => w.stop()));
  }
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
  const file = stackLogFile(o.endpoints, o.logName);
  rotateLog(file);
  const w = new WorkerSupervisor({
    planFile: o.planFile,
    env: workerEnvFor(o.planFile, o.endpoints, o.ports ?? localStackPorts(), o.env, log),
    logFile: file,
    log,
  });
  w.start();
  return w;
}
