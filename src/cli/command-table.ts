import type { Command } from 'commander';

/**
 * Every subcommand, in the order help lists them, and how to load it: a run loads only the module
 * of the command it runs (the worker command alone would pull in the whole Temporal worker).
 */
export const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<Command>]> = [
  ['backup', async () => (await import('./commands/backup')).backupCommand()],
  ['restore', async () => (await import('./commands/restore')).restoreCommand()],
  ['snapshots', async () => (await import('./commands/snapshots')).snapshotsCommand()],
  ['schedules', async () => (await import('./commands/schedules')).schedulesCommand()],
  ['prune', async () => (await import('./commands/maintenance')).pruneCommand()],
  ['verify', async () => (await import('./commands/maintenance')).verifyCommand()],
  ['stats', async () => (await import('./commands/stats')).statsCommand()],
  ['copy', async () => (await import('./commands/copy')).copyCommand()],
  ['worker', async () => (await import('./commands/worker')).workerCommand()],
  ['up', async () => (await import('./commands/up')).upCommand()],
  ['demo', async () => (await import('./commands/demo')).demoCommand()],
  ['failover', async () => (await import('./commands/failover')).failoverCommand()],
  ['status', async () => (await import('./commands/status')).statusCommand()],
  [
    'predict',
    async () => {
      const [{ addPredictLoopCommands }, { predictCommand }] = await Promise.all([import('./commands/predict-loop'), import('./commands/predict')]);
      return addPredictLoopCommands(predictCommand());
    },
  ],
  ['bridge', async () => (await import('./commands/bridge')).bridgeCommand()],
  ['key', async () => (await import('./commands/key')).keyCommand()],
];

/** Options of the root command that take a value: the word after them is not the subcommand. */
const VALUE_OPTIONS = new Set(['--plan']);

/**
 * The subcommands a command line needs: the one it names, else all (help, no command, a misspelt
 * one: commander then lists or suggests from every name).
 */
export function commandsFor(args: readonly string[]): typeof COMMANDS {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) {
      const named = COMMANDS.filter(([name]) => name === a);
      return named.length ? named : COMMANDS;
    }
  }
  return COMMANDS;
}
