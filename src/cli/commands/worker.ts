import { Command } from 'commander';
import { BadInputError } from '../../common/errors';
import { resolvePlan } from '../../config/load-plan';
import { runWorker } from '../../worker/run-worker';
import type { GlobalOptions } from '../context';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a worker for the plan task queue (any number may run, on any machine)')
    .option('--metrics-port <port>', 'serve Prometheus series on 127.0.0.1:<port>/metrics (default $LEPTON_DR_METRICS_PORT)')
    .action(async (o: { metricsPort?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const port = o.metricsPort === undefined ? undefined : Number(o.metricsPort);
      if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
        throw new BadInputError(`--metrics-port: "${o.metricsPort}" is not a port (0-65535)`);
      await runWorker({ plan: resolvePlan(g.plan), settings: port === undefined ? {} : { metricsPort: port } });
    });
}
