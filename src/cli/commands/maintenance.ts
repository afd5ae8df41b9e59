import { Command } from 'commander';
import { parseOrThrow } from '../../common/zod-errors';
import { PruneInputSchema, VerifyInputSchema } from '../../contracts/maintenance-inputs';
import { connect, timestampId, type GlobalOptions } from '../context';
import { emit } from '../output';
import { workflowRef } from '../../contracts/workflows';

async function runMaintenance<I>(g: GlobalOptions, workflow: (input: I) => Promise<{ summary: string }>, prefix: string, input: I): Promise<void> {
  const { plan, client, close } = await connect(g);
  try {
    const r = await client.workflow.execute(workflow, {
      taskQueue: plan.temporal.taskQueue,
      workflowId: `${prefix}-${timestampId()}`,
      args: [input],
      staticSummary: `${prefix} (cli)`,
    });
    emit(g.json, r, () => r.summary);
  } finally {
    await close();
  }
}

export function pruneCommand(): Command {
  return new Command('prune')
    .description('apply retention policies, then two-phase prune of unreferenced packs')
    .option('--grace-hours <n>', 'hours a pack stays marked before it is deleted', '24')
    .option('--dry-run', 'report only')
    .option('--no-forget', 'skip retention policies')
    .action(async (o: { graceHours: string; dryRun?: boolean; forget: boolean }, cmd: Command) => {
      const input = parseOrThrow(PruneInputSchema, { graceHours: Number(o.graceHours), dryRun: Boolean(o.dryRun), forget: o.forget }, 'prune flags');
      await runMaintenance(cmd.optsWithGlobals<GlobalOptions>(), workflowRef('pruneWorkflow'), 'prune', input);
    });
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('check repository structure and re-read a fraction of the packs')
    .option('--read-data <fraction>', 'fraction of packs to download and check, 0..1', '0.1')
    .action(async (o: { readData: string }, cmd: Command) => {
      const input = parseOrThrow(VerifyInputSchema, { readData: Number(o.readData) }, 'verify flags');
      await runMaintenance(cmd.optsWithGlobals<GlobalOptions>(), workflowRef('verifyWorkflow'), 'verify', input);
    });
}
