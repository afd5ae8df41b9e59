import { Client, Connection } from '@temporalio/client';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { freePorts } from '../src/stack/ports';
import { killGroup, PORT_CLASH_PATTERN, spawnServer, type ServerProcess } from '../src/stack/process';
import { launchTemporal, type TemporalServer } from '../src/stack/temporal-server';
import { findTool } from '../src/stack/tools';
import { startSeaweed, type Seaweed } from '../test/helpers/seaweed';
import { WORKER_JS } from '../test/helpers/stack';
import { startFaultProxy, type FaultProxy } from './proxy';
import { workerLaunch } from '../src/stack/worker-process';

export const BUCKET = 'lepton-chaos';
export const REPO_PREFIX = 'repo';

export interface AssetSpec {
  name: string;
  source: string;
  keepLast: number;
}

export interface ClusterOptions {
  dir: string;
  seed: number;
  faultRate: number;
  assets: AssetSpec[];
  workers: number;
}

/**
 * The real things the harness drives: SeaweedFS, a fault proxy in front of it for the workers,
 * a Temporal dev server on a SQLite file (restartable on the same ports and state), and worker
 * processes (dist/bundle/worker.js) that can be killed with SIGKILL and restarted.
 */
export class Cluster {
  readonly taskQueue = `chaos-${process.pid}`;
  readonly keyFile: string;
  readonly planFile: string;
  client!: Client;
  seaweed!: Seaweed;
  proxy!: FaultProxy;
  private connection!: Connection;
  private temporal!: TemporalServer;
  private ports!: number[];
  private slots: (ServerProcess | undefined)[] = [];
  private spawned = 0;
  private killing = new Set<number>();
  kills = 0;
  serverRestarts = 0;
  /** workers that died without being killed by the harness (restarted) */
  unexpectedExits = 0;

  constructor(private readonly o: ClusterOptions) {
    this.keyFile = path.join(o.dir, 'repository.key');
    this.planFile = path.join(o.dir, 'plan.yaml');
  }

  get dbFile(): string {
    return path.join(this.o.dir, 'temporal.db');
  }

  async start(): Promise<void> {
    this.ports = await freePorts(3);
    const [seaweed] = await Promise.all([startSeaweed({ bucket: BUCKET }), this.startTemporal()]);
    this.seaweed = seaweed;
    this.proxy = await startFaultProxy({ upstream: seaweed.endpoint, seed: this.o.seed ^ 0x5eed, rate: this.o.faultRate });
    fs.writeFileSync(
      this.planFile,
      YAML.stringify({
        version: 1,
        repository: {
          url: `s3://${BUCKET}/${REPO_PREFIX}`,
          endpoint: this.proxy.endpoint,
          region: seaweed.region,
          pathStyle: true,
          keyFile: this.keyFile,
          packSizeMiB: 4,
          pruneMinGraceHours: 0,
        },
        temporal: { address: this.temporal.address, namespace: 'default', taskQueue: this.taskQueue },
        // the harness's sources and restore targets all live in its work folder
        roots: { sources: [this.o.dir], targets: [this.o.dir] },
        assets: this.o.assets.map((a) => ({ name: a.name, source: a.source, retention: { keepLast: a.keepLast } })),
      }),
    );
    this.connection = await Connection.connect({ address: this.temporal.address });
    this.client = new Client({ connection: this.connection, namespace: 'default' });
    for (let i = 0; i < this.o.workers; i++) this.startWorker(i);
  }

  private async startTemporal(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const [port, httpPort, metricsPort] = this.ports;
      try {
        this.temporal = await launchTemporal({
          binary: findTool('temporal'),
          port,
          httpPort,
          metricsPort,
          dbFile: this.dbFile,
          logFile: path.join(this.o.dir, 'temporal.log'),
          cwd: this.o.dir,
        });
        return;
      } catch (e) {
        if (attempt >= 4 || !PORT_CLASH_PATTERN.test(String(e))) throw e;
        // keep the frontend port (clients and workers know it); the others nobody here uses
        const [h, m] = await freePorts(2);
        this.ports = [port, h, m];
      }
    }
  }

  /**
   * Stop the dev server (SIGTERM, so SQLite is consistent), wait, start it again on the same
   * frontend port and file. The HTTP and metrics ports nobody here uses are picked anew if
   * another process took them meanwhile (the machine is shared).
   */
  async restartServer(downMs: number): Promise<void> {
    await this.temporal.stop(5000);
    await new Promise((r) => setTimeout(r, downMs));
    await this.startTemporal();
    this.serverRestarts++;
  }

  private startWorker(slot: number): ServerProcess {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.seaweed.env, LEPTON_DR_PLAN: this.planFile, LEPTON_DR_LOG_LEVEL: 'warn' };
    const launch = workerLaunch(WORKER_JS, this.planFile, env);
    const w = spawnServer(process.execPath, launch.args, { logFile: path.join(this.o.dir, `worker-${this.spawned++}.log`), env: launch.env });
    this.slots[slot] = w;
    return w;
  }

  /** pids of the live workers, by slot */
  workerPids(): number[] {
    return this.slots.map((w) => (w && w.exitStatus === undefined ? w.pid : -1));
  }

  /** kill -9 worker `pid` (its whole process group), then start a fresh one in its slot; false if it is gone already. */
  async killWorker(pid: number): Promise<boolean> {
    const slot = this.slots.findIndex((x) => x?.pid === pid);
    const w = this.slots[slot];
    if (!w || w.exitStatus !== undefined || this.killing.has(w.pid)) return false;
    this.killing.add(w.pid);
    killGroup(w.pid, 'SIGKILL');
    await w.exited;
    this.kills++;
    this.killing.delete(w.pid);
    this.startWorker(slot);
    return true;
  }

  /** Restart workers that exited on their own (e.g. gave up while the server was down). */
  reviveWorkers(): void {
    this.slots.forEach((w, i) => {
      if (w && w.exitStatus !== undefined) {
        this.unexpectedExits++;
        this.startWorker(i);
      }
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.slots.map((w) => w?.stop(2000)));
    await this.connection?.close().catch(() => undefined);
    await this.proxy?.close();
    await Promise.all([this.seaweed?.stop(), this.temporal?.stop(0)]);
  }
}
