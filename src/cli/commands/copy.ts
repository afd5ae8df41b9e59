import { Command } from 'commander';
import { BadInputError } from '../../common/errors';
import { parseOrThrow } from '../../common/zod-errors';
import { CopyInputSchema, type CopyResult } from '../../contracts/copy-inputs';
import { workflowRef } from '../../contracts/workflows';
import { connect, timestampId, type GlobalOptions } from '../context';
import { emit, table } from '../output';

interface CopyFlags {
  to: string;
  snapshot?: string[];
  all?: boolean;
  asset?: string;
}

/** The flags as workflow input: `--snapshot latest`, `--snapshot <id>...`, or `--all` (the default). */
function copyInput(o: CopyFlags): unknown {
  if (o.all && o.snapshot?.length) throw new BadInputError('copy flags: give --snapshot or --all, not both');
  const sel = o.snapshot ?? [];
  const snapshots = sel.length === 0 ? 'all-missing' : sel.length === 1 && sel[0] === 'latest' ? 'latest' : sel;
  return { target: o.to, snapshots, ...(o.asset ? { asset: o.asset } : {}) };
}

function render(r: CopyResult): string {
  const rows = [['SNAPSHOT', 'ASSET', 'COPIED', 'BLOBS', 'MOVED', 'WRITTEN']];
  for (const s of r.steps)
    rows.push([s.snapshot.slice(0, 8), s.asset, s.copied ? 'yes' : 'already there', String(s.blobs), String(s.blobsCopied), `${s.bytesUploaded} B`]);
  return r.steps.length ? `${r.summary}\n\n${table(rows)}` : r.summary;
}

export function copyCommand(): Command {
  return new Command('copy')
    .description('copy snapshots to a second repository (a copy target of the plan), moving only data it lacks')
    .requiredOption('--to <target>', 'copy target name (plan: copyTargets)')
    .option('--snapshot <id...>', 'snapshot ids or prefixes, or "latest" (the newest of each asset)')
    .option('--all', 'every snapshot the target lacks (the default)')
    .option('--asset <name>', 'with latest or --all: only this asset')
    .action(async (o: CopyFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const input = parseOrThrow(CopyInputSchema, copyInput(o), 'copy flags');
      const { plan, client, close } = await connect(g);
      try {
        const r = await client.workflow.execute(workflowRef('copyWorkflow'), {
          taskQueue: plan.temporal.taskQueue,
          workflowId: `copy-${input.target}-${timestampId()}-${process.pid}`,
          args: [input],
          staticSummary: `copy to ${input.target} (cli)`,
        });
        emit(g.json, r, () => render(r));
      } finally {
        await close();
      }
    });
}
