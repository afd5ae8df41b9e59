import { Command } from 'commander';
import { parseOrThrow } from '../../common/zod-errors';
import { humanBytes } from '../../common/format';
import { StatsInputSchema, type StatsResult } from '../../contracts/maintenance-inputs';
import { workflowRef } from '../../contracts/workflows';
import { connect, timestampId, type GlobalOptions } from '../context';
import { emit, table } from '../output';

const cost = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(4));

function render(r: StatsResult): string {
  const assets = [['ASSET', 'SNAPSHOTS', 'LATEST', 'ALL SNAPSHOTS', 'STORED', 'DEDUP', 'COMPRESSION', 'COST/MONTH']];
  for (const a of r.assets) {
    assets.push([
      a.asset,
      String(a.snapshots),
      humanBytes(a.latest?.logicalBytes ?? 0),
      humanBytes(a.logicalBytesAll),
      humanBytes(a.data.storedBytes + a.tree.storedBytes),
      `${a.dedupRatio.toFixed(2)}x`,
      `${a.compressionRatio.toFixed(2)}x`,
      cost(a.monthlyCost),
    ]);
  }
  const prefixes = [['PREFIX', 'OBJECTS', 'BYTES', 'COST/MONTH']];
  for (const [p, s] of Object.entries(r.objects)) prefixes.push([p, String(s.objects), humanBytes(s.bytes), cost(s.monthlyCost)]);
  const growth = [['SNAPSHOT', 'TIME', 'ASSET', 'LOGICAL', 'ADDED']];
  for (const g of r.growth) growth.push([g.id.slice(0, 8), g.time, g.asset, humanBytes(g.logicalBytes), humanBytes(g.newBytes)]);
  const omitted = r.growthOmitted ? `(${r.growthOmitted} older snapshots not shown)` : '';
  return [r.summary, '', table(assets), '', table(prefixes), '', table(growth), omitted].filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
}

export function statsCommand(): Command {
  return new Command('stats')
    .description('what the repository holds and costs: logical and stored bytes, dedup, compression, objects, growth per snapshot')
    .option('--asset <name>', 'only this asset set')
    .action(async (o: { asset?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const input = parseOrThrow(StatsInputSchema, o.asset ? { asset: o.asset } : {}, 'stats flags');
      const { plan, client, close } = await connect(g);
      try {
        const r = await client.workflow.execute(workflowRef('statsWorkflow'), {
          taskQueue: plan.temporal.taskQueue,
          workflowId: `stats-${timestampId()}-${process.pid}`,
          args: [input],
          workflowExecutionTimeout: '30 minutes',
          staticSummary: 'stats (cli)',
        });
        emit(g.json, r, () => render(r));
      } finally {
        await close();
      }
    });
}
