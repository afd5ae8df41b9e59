import { Command } from 'commander';
import { parseOrThrow } from '../../common/zod-errors';
import { humanBytes } from '../../common/format';
import { ListSnapshotsInputSchema } from '../../contracts/inputs';
import type { SnapshotSummary } from '../../contracts/types';
import { connect, timestampId, type GlobalOptions } from '../context';
import { emit, table } from '../output';
import { workflowRef } from '../../contracts/workflows';

export function snapshotsCommand(): Command {
  return new Command('snapshots')
    .description('list verified snapshots (signatures checked by a worker)')
    .option('--asset <name>', 'only this asset set')
    .action(async (o: { asset?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const input = parseOrThrow(ListSnapshotsInputSchema, o.asset ? { asset: o.asset } : {}, 'snapshots flags');
      const { plan, client, close } = await connect(g);
      try {
        const r = (await client.workflow.execute(workflowRef('listSnapshotsWorkflow'), {
          taskQueue: plan.temporal.taskQueue,
          workflowId: `snapshots-${timestampId()}-${process.pid}`,
          args: [input],
          workflowExecutionTimeout: '2 minutes',
        })) as { snapshots: SnapshotSummary[]; invalid: string[] };
        emit(g.json, r, () => {
          const rows = [['ID', 'TIME', 'ASSET', 'STRATEGY', 'FILES', 'SIZE', 'UPLOADED', 'TAGS']];
          for (const s of r.snapshots)
            rows.push([s.id.slice(0, 8), s.time, s.asset, s.strategy, String(s.files), humanBytes(s.bytes), humanBytes(s.bytesUploaded), s.tags.join(',')]);
          const warn = r.invalid.map((i) => `WARNING: refused snapshot ${i}`).join('\n');
          return [table(rows), `${r.snapshots.length} snapshots`, warn].filter(Boolean).join('\n');
        });
      } finally {
        await close();
      }
    });
}
