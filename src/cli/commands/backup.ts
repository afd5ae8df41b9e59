import { Command, Option } from 'commander';
import path from 'node:path';
import { parseOrThrow } from '../../common/zod-errors';
import { humanBytes } from '../../common/format';
import { BackupInputSchema } from '../../contracts/inputs';
import type { BackupResult } from '../../contracts/types';
import { connect, timestampId, type GlobalOptions } from '../context';
import { followRun } from '../follow-run';
import { emit } from '../output';
import { workflowRef } from '../../contracts/workflows';

export function backupCommand(): Command {
  return new Command('backup')
    .description('back up an asset set through backupWorkflow (plan asset, or ad hoc with --source)')
    .requiredOption('--asset <name>', 'asset set name (from the plan, or a new name with --source)')
    .option('--source <dir>', 'folder to back up (ad-hoc asset)')
    .addOption(new Option('--strategy <strategy>', 'override the asset strategy').choices(['full', 'incremental', 'differential']))
    .option('--tag <tag...>', 'tags for the snapshot')
    .option('--retention', 'apply the asset retention policy afterwards')
    .option('--no-wait', 'start the workflow and return its id')
    .action(async (o: { asset: string; source?: string; strategy?: string; tag?: string[]; retention?: boolean; wait: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const input = parseOrThrow(
        BackupInputSchema,
        {
          asset: o.asset,
          ...(o.source ? { source: path.resolve(o.source) } : {}),
          ...(o.strategy ? { strategy: o.strategy } : {}),
          ...(o.tag ? { tags: o.tag } : {}),
          ...(o.retention ? { applyRetention: true } : {}),
          reason: 'cli',
        },
        'backup flags',
      );
      const { plan, client, close } = await connect(g);
      try {
        const workflowId = `backup-${input.asset}-${timestampId()}`;
        const handle = await client.workflow.start(workflowRef('backupWorkflow'), {
          taskQueue: plan.temporal.taskQueue,
          workflowId,
          args: [input],
          staticSummary: `backup of ${input.asset} (cli)`,
        });
        if (!o.wait) return emit(g.json, { workflowId, runId: handle.firstExecutionRunId }, () => `started ${workflowId}`);
        const r = await followRun<BackupResult>(handle, !g.json && process.stderr.isTTY);
        emit(g.json, { workflowId, ...r }, () =>
          [
            r.summary,
            `  snapshot ${r.id}  parent ${r.parent ?? '-'}`,
            `  files ${r.files} (unchanged ${r.filesUnchanged})  size ${humanBytes(r.bytes)}  read ${humanBytes(r.bytesRead)}  new ${humanBytes(r.bytesNew)}  uploaded ${humanBytes(r.bytesUploaded)}`,
          ].join('\n'),
        );
      } finally {
        await close();
      }
    });
}
