import { log, ParentClosePolicy, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { failoverWorkflowId } from '../contracts/failover-inputs';
import { preemptiveBackupId, trainingWorkflowId, type DecisionPolicy } from '../contracts/prediction-inputs';
import type { ActionRecord } from '../contracts/prediction-messages';
import { workflowRef } from '../contracts/workflows';
import { iso } from './prediction-carry';
import { cooldownSlot } from './prediction-decide';
import { startChildOnce } from './start-child-once';

/**
 * The prediction loop's actions, each a child workflow started once per id (training,
 * pre-emptive backups, failover requests) and recorded in the loop's recent actions.
 */
export interface ActionContext {
  readonly site: string;
  readonly cfg: { config?: Record<string, unknown> };
  readonly policy: DecisionPolicy;
  readonly failoverCapable: boolean;
  record(a: ActionRecord): void;
}

export async function startTraining(x: ActionContext, reason: string): Promise<void> {
  const workflowId = trainingWorkflowId(x.site);
  const r = await startChildOnce(workflowRef('trainingWorkflow'), {
    workflowId,
    args: [{ site: x.site, ...x.cfg, reason: reason.slice(0, 200) }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: `training for ${x.site} (${reason})`,
  });
  const detail = r.outcome === 'started' ? reason : r.outcome === 'joined' ? 'a training is already running' : r.error!;
  x.record({ at: iso(Date.now())!, kind: 'training', workflowId, outcome: r.outcome, detail });
}

export async function preemptiveBackups(x: ActionContext, now: number, risk: number, top: string): Promise<string[]> {
  const slot = cooldownSlot(now, x.policy.preemptiveBackup.cooldownMs);
  const done: string[] = [];
  for (const asset of x.policy.preemptiveBackup.assets) {
    const workflowId = preemptiveBackupId(x.site, asset, slot);
    const reason = `pre-emptive (prediction ${x.site}, risk ${risk.toFixed(2)}${top ? `: ${top}` : ''})`.slice(0, 200);
    const r = await startChildOnce(workflowRef('backupWorkflow'), {
      workflowId,
      args: [{ asset, reason }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `pre-emptive backup of ${asset} (site ${x.site} at risk ${risk.toFixed(2)})`,
    });
    const detail =
      r.outcome === 'started'
        ? `backup of ${asset} started`
        : r.outcome === 'joined'
          ? `backup of ${asset} already started in this cooldown slot`
          : `backup of ${asset} not started: ${r.error}`;
    x.record({ at: iso(now)!, kind: 'preemptive-backup', workflowId, outcome: r.outcome, detail });
    log.info('pre-emptive backup', { site: x.site, asset, workflowId, outcome: r.outcome });
    done.push(`${detail} (${workflowId})`);
  }
  return done;
}

export async function requestFailover(x: ActionContext, now: number, risk: number, top: string): Promise<string> {
  const site = x.site;
  const reason = `prediction: risk ${risk.toFixed(2)}${top ? ` (${top})` : ''}`.slice(0, 500);
  if (x.policy.failover === 'recommendOnly' || !x.failoverCapable) {
    const why = x.policy.failover === 'recommendOnly' ? 'policy is recommendOnly' : 'the site has no failover configuration (primary, standby, switcher)';
    const detail = `failover recommended, not requested (${why}): ${reason}`;
    x.record({ at: iso(now)!, kind: 'failover-recommendation', outcome: 'recorded', detail });
    log.warn('failover recommended', { site, risk, why });
    return detail;
  }
  const workflowId = failoverWorkflowId(site);
  const r = await startChildOnce(workflowRef('failoverWorkflow'), {
    workflowId,
    args: [{ site, mode: 'planned', source: 'prediction', reason, approval: { required: true } }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    staticSummary: `failover of ${site} requested by prediction (approval required)`,
  });
  const detail =
    r.outcome === 'started'
      ? `failover requested, waiting for approval (${workflowId})`
      : r.outcome === 'joined'
        ? `a failover of ${site} is already running (${workflowId})`
        : `failover not requested: ${r.error}`;
  x.record({ at: iso(now)!, kind: 'failover', workflowId, outcome: r.outcome, detail });
  log.warn('failover requested', { site, risk, workflowId, outcome: r.outcome });
  return detail;
}
