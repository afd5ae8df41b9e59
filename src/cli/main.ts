import '../common/compile-cache';
import { Command } from 'commander';
import { LeptonError } from '../common/errors';
import { commandsFor } from './command-table';
import { rootMessage } from './errors';

const program = new Command('lepton-dr')
  .description('Disaster recovery for AI infrastructure on Temporal: backup, restore, prediction, failover')
  .option('--plan <file>', 'DR plan file (default: $LEPTON_DR_PLAN, else the local stack)')
  .option('--json', 'machine-readable output')
  .option('--no-wait-for-worker', 'fail at once, starting nothing, when no worker polls the task queue (default: warn within seconds and wait)')
  .showHelpAfterError();

async function main(): Promise<void> {
  for (const c of await Promise.all(commandsFor(process.argv.slice(2)).map(([, load]) => load()))) program.addCommand(c);
  await program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  const msg = rootMessage(e);
  process.stderr.write(`lepton-dr: ${msg}\n`);
  process.exitCode = e instanceof LeptonError && e.code === 'BAD_INPUT' ? 2 : 1;
});
