import type { ScheduleOptions, ScheduleSpec } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Plan } from '../config/plan-schema';
import { parseSite } from '../failover/site-schema';
import { drillWorkflowId } from '../contracts/failover-inputs';
import { trainingSchedules } from './training-schedules';
import { scheduledStart } from './scheduled-start';
import { OVERLAP } from './schedule-overlap';

/** Schedules this tool owns carry this memo, so `apply` can remove the ones a plan no longer names. */
export const MANAGED_MEMO = { managedBy: 'lepton-dr' };

export const backupScheduleId = (asset: string) => `lepton-backup-${asset}`;
export const drillScheduleId = (site: string) => `lepton-drill-${site}`;

/** One backup schedule per asset set with a schedule, one drill schedule per site with drill.schedule. Pure: easy to diff and test. */
export function desiredSchedules(plan: Plan): ScheduleOptions[] {
  return [...backupSchedules(plan), ...drillSchedules(plan), ...trainingSchedules(plan, MANAGED_MEMO)];
}

/**
 * A drill per site with `drill.schedule`: failoverWorkflow in drill mode under "drill-<site>"
 * (the schedule appends the time), never touching traffic. Overlap "skip" by default: a drill
 * still running makes the next one wait for the next slot.
 */
export function drillSchedules(plan: Plan): ScheduleOptions[] {
  const out: ScheduleOptions[] = [];
  plan.sites.forEach((raw, i) => {
    const drill = raw.drill as { schedule?: unknown } | undefined;
    if (!drill || typeof drill !== 'object' || !drill.schedule) return;
    const site = parseSite(raw, { where: `plan: sites.${i}`, assets: plan.assets.map((a) => a.name) });
    const s = site.drill!.schedule!;
    out.push({
      scheduleId: drillScheduleId(site.name),
      spec: (s.every ? { intervals: [{ every: s.every as Duration }] } : { cronExpressions: [s.cron as string] }) as ScheduleSpec,
      action: scheduledStart('failoverWorkflow', {
        workflowId: drillWorkflowId(site.name),
        taskQueue: plan.temporal.taskQueue,
        args: [{ site: site.name, mode: 'drill', source: 'schedule', reason: 'scheduled drill' }],
        staticSummary: `scheduled drill of ${site.name}`,
      }),
      policies: { overlap: OVERLAP[s.overlap], catchupWindow: s.catchupWindow as Duration },
      state: { paused: s.paused, note: `drill from plan: ${s.every ? `every ${s.every}` : `cron ${s.cron}`}` },
      memo: MANAGED_MEMO,
    } as ScheduleOptions);
  });
  return out;
}

function backupSchedules(plan: Plan): ScheduleOptions[] {
  return plan.assets
    .filter((a) => a.schedule)
    .map((a) => {
      const s = a.schedule as NonNullable<typeof a.schedule>;
      return {
        scheduleId: backupScheduleId(a.name),
        spec: (s.every ? { intervals: [{ every: s.every as Duration }] } : { cronExpressions: [s.cron as string] }) as ScheduleSpec,
        action: scheduledStart('backupWorkflow', {
          workflowId: `backup-${a.name}`,
          taskQueue: plan.temporal.taskQueue,
          args: [{ asset: a.name, applyRetention: Boolean(a.retention), reason: 'schedule' }],
          staticSummary: `scheduled ${a.strategy} backup of ${a.name}`,
        }),
        policies: { overlap: OVERLAP[s.overlap], catchupWindow: s.catchupWindow as Duration },
        state: { paused: s.paused, note: `from plan: ${s.every ? `every ${s.every}` : `cron ${s.cron}`}` },
        memo: MANAGED_MEMO,
      } as ScheduleOptions;
    });
}
