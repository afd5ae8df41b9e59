import { Command } from 'commander';
import { runDemo } from '../../stack/demo';
import { StackInterruptedError } from '../../stack/local-stack';
import { followRun } from '../follow-run';

/**
 * `lepton-dr demo [--exit]`: brings the local stack up (unless `lepton-dr up` runs it), makes a
 * sample AI asset set, backs it up and restores it through the workflows, verifies every byte,
 * prints a report with links to the runs in the Temporal UI, then keeps the stack running until
 * Ctrl-C (or stops at once with --exit).
 */
export function demoCommand(): Command {
  return new Command('demo')
    .description('back up and restore a sample AI asset set through the local stack, verify it byte for byte, link the runs in the Temporal UI')
    .option('--exit', 'stop what the demo started once the report is printed, instead of waiting for Ctrl-C')
    .action(async (o: { exit?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<{ json?: boolean }>();
      try {
        const report = await runDemo({
          exit: Boolean(o.exit),
          // With --json, stdout carries only the report.
          out: g.json ? (t) => process.stderr.write(`${t}\n`) : undefined,
          follow: (_client, handle) => followRun(handle, Boolean(process.stderr.isTTY) && !g.json),
        });
        if (g.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        if (!report.ok) process.exitCode = 1;
      } catch (e) {
        if (e instanceof StackInterruptedError) {
          process.exitCode = 130;
          return;
        }
        throw e;
      }
    });
}
