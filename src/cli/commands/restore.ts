import { Command } from 'commander';
import path from 'node:path';
import { parseOrThrow } from '../../common/zod-errors';
import { humanBytes } from '../../common/format';
import { RestoreInputSchema } from '../../contracts/inputs';
import type { RestoreResult } from '../../contracts/types';
import { connect, timestampId, type GlobalOptions } from '../context';
import { followRun } from '../follow-run';
import { emit } from '../output';
import { workflowRef } from '../../contracts/workflows';

export function restoreCommand(): Command {
  return new Command('restore')
    .description('restore a snapshot through restoreWorkflow: staged, verified, swapped into the target')
    .option('--asset <name>', 'asset set (needed with --snapshot latest)')
    .option('--snapshot <id|latest>', 'snapshot id (or unique prefix) or "latest"', 'latest')
    .option('--before <time>', 'with latest: the newest snapshot at or before this ISO time')
    .requiredOption('--target <dir|s3://bucket/prefix>', "folder or S3 prefix (under the plan's roots.targets) that will hold exactly the snapshot afterwards")
    .option('--path <path...>', 'restore only these paths (prefixes or globs)')
    .option('--no-wait', 'start the workflow and return its id')
    .action(async (o: { asset?: string; snapshot: string; before?: string; target: string; path?: string[]; wait: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const input = parseOrThrow(
        RestoreInputSchema,
        {
          ...(o.asset ? { asset: o.asset } : {}),
          snapshot: o.snapshot,
          ...(o.before ? { before: o.before } : {}),
          target: o.target.startsWith('s3://') ? o.target : path.resolve(o.target),
          ...(o.path ? { paths: o.path } : {}),
        },
        'restore flags',
      );
      const { plan, client, close } = await connect(g);
      try {
        const workflowId = `restore-${input.asset ?? input.snapshot}-${timestampId()}`;
        const handle = await client.workflow.start(workflowRef('restoreWorkflow'), {
          taskQueue: plan.temporal.taskQueue,
          workflowId,
          args: [input],
          staticSummary: `restore of ${input.asset ?? input.snapshot} into ${input.target} (cli)`,
        });
        if (!o.wait) return emit(g.json, { workflowId, runId: handle.firstExecutionRunId }, () => `started ${workflowId}`);
        const r = await followRun<RestoreResult>(handle, !g.json && process.stderr.isTTY);
        emit(g.json, { workflowId, ...r }, () => `${r.summary}\n  ${r.files} files, ${humanBytes(r.bytes)}`);
      } finally {
        await close();
      }
    });
}
