import { Command } from 'commander';
import { resolvePlan } from '../../config/load-plan';
import { runWorker } from '../../worker/run-worker';
import type { GlobalOptions } from '../context';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a worker for the plan task queue (any number may run, on any machine)')
    .action(async (_o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      await runWorker({ plan: resolvePlan(g.plan) });
    });
}
