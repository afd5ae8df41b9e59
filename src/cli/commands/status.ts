import { Command } from 'commander';
import { drillWorkflowId, failoverWorkflowId } from '../../contracts/failover-inputs';
import { connect, timestampId, type GlobalOptions } from '../context';
import { renderReadiness, type LoopSummary } from '../failover-format';
import { predictionStatusQuery } from '../../contracts/prediction-messages';
import { predictionWorkflowId } from '../../contracts/prediction-inputs';
import { emit } from '../output';
import { workflowRef } from '../../contracts/workflows';

/** `lepton-dr status`: DR readiness per site (last successful drill, measured RTO/RPO vs objectives, newest snapshot age). */
export function statusCommand(): Command {
  return new Command('status')
    .description('DR readiness per site: last successful drill, measured RTO/RPO against objectives, age of the newest snapshot')
    .action(async (_o: unknown, c: Command) => {
      const g = c.optsWithGlobals<GlobalOptions>();
      const { plan, client, close } = await connect(g);
      try {
        const sites = await client.workflow.execute(workflowRef('drStatusWorkflow'), {
          taskQueue: plan.temporal.taskQueue,
          workflowId: `dr-status-${timestampId()}-${process.pid}`,
          args: [],
        });
        const running: Record<string, string> = {};
        for (const s of sites) {
          for (const id of [failoverWorkflowId(s.site), drillWorkflowId(s.site)]) {
            try {
              const d = await client.workflow.getHandle(id).describe();
              if (d.status.name === 'RUNNING') running[s.site] = `${d.type} ${id} since ${d.startTime.toISOString()}`;
            } catch {
              // never ran
            }
          }
        }
        // the prediction loop of every site, where one runs (a query, so it answers only while a worker does)
        const loops: Record<string, LoopSummary> = {};
        for (const s of sites) {
          try {
            const h = client.workflow.getHandle(predictionWorkflowId(s.site));
            if ((await h.describe()).status.name !== 'RUNNING') throw new Error('not running');
            const st = await h.query(predictionStatusQuery);
            loops[s.site] = { level: st.level, risk: st.risk, iteration: st.iteration, paused: st.paused };
          } catch {
            loops[s.site] = null;
          }
        }
        emit(
          g.json,
          sites.map((s) => ({ ...s, running: running[s.site] ?? null, prediction: loops[s.site] })),
          () => renderReadiness(sites, running, loops),
        );
      } finally {
        await close();
      }
    });
}
