import type { Logger } from '../common/logger';
import { killGroup } from './process';
import type { SeaweedServer } from './seaweed';
import type { ServerRestartPolicy } from './server-supervisor';
import type { LocalStackEndpoints } from './stack-endpoints';
import type { LocalStackPaths } from './stack-paths';
import type { LocalStackPorts } from './stack-ports';
import { SupervisedStackServers, type StackServerOptions } from './stack-servers';
import type { StackSignals } from './stack-signals';
import { removeStackStatus, writeStackStatus } from './stack-status';
import { StackWorkers } from './stack-workers';
import type { TemporalServer } from './temporal-server';
import type { WorkerSupervisor } from './worker-process';

export interface StackRuntimeOptions {
  startedAt: number;
  paths: LocalStackPaths;
  ports: LocalStackPorts;
  endpoints: LocalStackEndpoints;
  servers: { temporal: TemporalServer; seaweed: SeaweedServer };
  serverOptions: StackServerOptions;
  serverRestart?: ServerRestartPolicy;
  workerEnv?: NodeJS.ProcessEnv;
  signals: StackSignals;
  killOnSignal: boolean;
  log: Logger;
}

/**
 * A local stack once its servers are up: keeps them and the workers supervised, the status
 * file current (every restart and every worker death), and stops everything in order.
 */
export class StackRuntime {
  readonly servers: SupervisedStackServers;
  readonly workers: StackWorkers;
  /** Set when a server kept dying and the stack stopped for it: the message that said so. */
  failure: string | undefined;
  readonly stopped: Promise<void>;
  private resolveStopped!: () => void;
  private stopping: Promise<void> | undefined;
  /** The status file is written from the first writeStatus() on (before that the stack is not up). */
  private up = false;

  constructor(private readonly o: StackRuntimeOptions) {
    this.stopped = new Promise<void>((r) => (this.resolveStopped = r));
    const changed = () => {
      if (this.up && !this.stopping) this.writeStatus();
    };
    this.servers = new SupervisedStackServers(o.servers, o.serverOptions, {
      log: o.log,
      policy: o.serverRestart,
      onRestart: changed,
      onGiveUp: (message) => {
        this.failure = message;
        o.log.error('stopping the local stack: it cannot run without that server');
        void this.stop();
      },
    });
    this.workers = new StackWorkers({ endpoints: o.endpoints, ports: o.ports, env: o.workerEnv, log: o.log, killOnSignal: o.killOnSignal, onChange: changed });
  }

  isStopping(): boolean {
    return this.stopping !== undefined;
  }

  writeStatus(): void {
    this.up = true;
    const { paths, endpoints: ep } = this.o;
    writeStackStatus(paths.statusFile, {
      pid: process.pid,
      startedAt: new Date(this.o.startedAt).toISOString(),
      stateDir: paths.stateDir,
      endpoints: {
        temporalAddress: ep.temporalAddress,
        namespace: ep.namespace,
        uiUrl: ep.uiUrl,
        s3Endpoint: ep.s3Endpoint,
        bucket: ep.bucket,
        region: ep.region,
      },
      children: [
        { name: 'temporal', pid: this.servers.temporal.current.server.pid, match: 'start-dev' },
        { name: 'weed', pid: this.servers.seaweed.current.server.pid, match: 'mini' },
        ...this.workers.all().flatMap((w) => (w.pid ? [{ name: 'worker', pid: w.pid, match: w.script }] : [])),
      ],
      workers: this.workers.statuses(),
    });
  }

  startWorker(opts: { planFile?: string; logName?: string; env?: NodeJS.ProcessEnv } = {}): WorkerSupervisor {
    const w = this.workers.startExtra(opts);
    this.writeStatus();
    return w;
  }

  /** SIGKILL every process of the stack at once (a second Ctrl-C). */
  killAll(): void {
    for (const p of [...this.workers.all().map((w) => w.pid), ...this.servers.pids()]) if (p) killGroup(p, 'SIGKILL');
  }

  /** Workers first, then the servers (each gets a clean shutdown). Idempotent. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      const log = this.o.log;
      const s0 = Date.now();
      await this.workers.stop();
      const workersMs = Date.now() - s0;
      await this.servers.stop();
      for (const [name, p] of [
        ['Temporal', this.servers.temporal.current.server],
        ['SeaweedFS', this.servers.seaweed.current.server],
      ] as const) {
        if (p.exitStatus === 'signal SIGKILL' && !this.o.signals.forced && !this.failure)
          log.warn({ log: p.logFile }, `${name} did not stop within its grace time and was killed`);
      }
      removeStackStatus(this.o.paths.statusFile);
      this.o.signals.remove();
      log.info({ ms: Date.now() - s0, workersMs, serversMs: Date.now() - s0 - workersMs }, 'local stack stopped');
      this.resolveStopped();
    })());
  }
}
