import path from 'node:path';
import { Command } from 'commander';
import { StackInterruptedError, startLocalStack } from '../../stack/local-stack';

/**
 * `lepton-dr up [--no-worker] [--plan FILE]`: the local stack (Temporal dev server with UI,
 * SeaweedFS as S3, a supervised worker) in the foreground until Ctrl-C. State lives in
 * $LEPTON_DR_STATE_DIR (default <project>/.state) and survives restarts.
 */
export function upCommand(): Command {
  return new Command('up')
    .description('run the local stack (Temporal dev server + UI, SeaweedFS S3, a worker) in the foreground until Ctrl-C')
    .option('--no-worker', 'start only the servers (run workers yourself with "lepton-dr worker")')
    .option('--plan <file>', "the worker's DR plan (default: $LEPTON_DR_PLAN, else the built-in plan of the local stack)")
    .action(async (o: { worker: boolean; plan?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<{ plan?: string }>();
      const plan = o.plan ?? g.plan;
      try {
        const stack = await startLocalStack({ withWorker: o.worker, planFile: plan ? path.resolve(plan) : undefined });
        await stack.stopped;
        // a server that kept dying stopped the stack; its message was logged when it gave up
        if (stack.failure) process.exitCode = 1;
      } catch (e) {
        if (e instanceof StackInterruptedError) {
          process.exitCode = 130;
          return;
        }
        throw e;
      }
    });
}
