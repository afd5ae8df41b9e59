import { Command } from 'commander';
import type { SiteReadiness } from '../../workflows/failover-types';
import { drillWorkflowId, failoverWorkflowId } from '../../workflows/failover-inputs';
import { connect, timestampId, type GlobalOptions } from '../context';
import { renderReadiness } from '../failover-format';
import { emit } from '../output';

/** `lepton-dr status`: DR readiness per site (last successful drill, measured RTO/RPO vs objectives, newest snapshot age). */
export function statusCommand(): Command {
  return new Command('status').description('DR readiness per site: last successful drill, measured RTO/RPO against objectives, age of the newest snapshot').action(async (_o: unknown, c: Command) => {
    const g = c.optsWithGlobals<GlobalOptions>();
    const { plan, client, close } = await connect(g);
    try {
      const sites = (await client.workflow.execute('drStatusWorkflow', { taskQueue: plan.temporal.taskQueue, workflowId: `dr-status-${timestampId()}-${process.pid}`, args: [] })) as SiteReadiness[];
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
      emit(g.json, sites.map((s) => ({ ...s, running: running[s.site] ?? null })), () => renderReadiness(sites, running));
    } finally {
      await close();
    }
  });
}
