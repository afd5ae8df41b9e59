import '../common/compile-cache';
import { Command } from 'commander';
import { LeptonError } from '../common/errors';
import { backupCommand } from './commands/backup';
import { demoCommand } from './commands/demo';
import { upCommand } from './commands/up';
import { pruneCommand, verifyCommand } from './commands/maintenance';
import { restoreCommand } from './commands/restore';
import { schedulesCommand } from './commands/schedules';
import { snapshotsCommand } from './commands/snapshots';
import { statsCommand } from './commands/stats';
import { copyCommand } from './commands/copy';
import { workerCommand } from './commands/worker';
import { keyCommand } from './commands/key';
import { failoverCommand } from './commands/failover';
import { statusCommand } from './commands/status';
import { bridgeCommand } from './commands/bridge';
import { addPredictLoopCommands } from './commands/predict-loop';
import { predictCommand } from './commands/predict';
import { rootMessage } from './errors';

const program = new Command('lepton-dr')
  .description('Disaster recovery for AI infrastructure on Temporal: backup, restore, prediction, failover')
  .option('--plan <file>', 'DR plan file (default: $LEPTON_DR_PLAN, else the local stack)')
  .option('--json', 'machine-readable output')
  .option('--no-wait-for-worker', 'fail at once, starting nothing, when no worker polls the task queue (default: warn within seconds and wait)')
  .showHelpAfterError();

for (const c of [
  backupCommand(),
  restoreCommand(),
  snapshotsCommand(),
  schedulesCommand(),
  pruneCommand(),
  verifyCommand(),
  statsCommand(),
  copyCommand(),
  workerCommand(),
])
  program.addCommand(c);
program.addCommand(upCommand());
program.addCommand(demoCommand());
program.addCommand(failoverCommand());
program.addCommand(statusCommand());
program.addCommand(addPredictLoopCommands(predictCommand()));
program.addCommand(bridgeCommand());
program.addCommand(keyCommand());

program.parseAsync(process.argv).catch((e: unknown) => {
  const msg = rootMessage(e);
  process.stderr.write(`lepton-dr: ${msg}\n`);
  process.exitCode = e instanceof LeptonError && e.code === 'BAD_INPUT' ? 2 : 1;
});
