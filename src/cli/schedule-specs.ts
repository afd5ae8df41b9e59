import type { ScheduleOptions, ScheduleSpec } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Plan } from '../config/plan-schema';

/** Schedules this tool owns carry this memo, so `apply` can remove the ones a plan no longer names. */
export const MANAGED_MEMO = { managedBy: 'lepton-dr' };

const OVERLAP = {
  skip: 'SKIP',
  buffer_one: 'BUFFER_ONE',
  buffer_all: 'BUFFER_ALL',
  cancel_other: 'CANCEL_OTHER',
  terminate_other: 'TERMINATE_OTHER',
  allow_all: 'ALLOW_ALL',
} as const;

export const backupScheduleId = (asset: string) => `lepton-backup-${asset}`;

/** One backup schedule per asset set with a schedule in the plan. Pure: easy to diff and test. */
export function desiredSchedules(plan: Plan): ScheduleOptions[] {
  return plan.assets
    .filter((a) => a.schedule)
    .map((a) => {
      const s = a.schedule as NonNullable<typeof a.schedule>;
      return {
        scheduleId: backupScheduleId(a.name),
        spec: (s.every ? { intervals: [{ every: s.every as Duration }] } : { cronExpressions: [s.cron as string] }) as ScheduleSpec,
        action: {
          type: 'startWorkflow',
          workflowType: 'backupWorkflow',
          workflowId: `backup-${a.name}`,
          taskQueue: plan.temporal.taskQueue,
          args: [{ asset: a.name, applyRetention: Boolean(a.retention), reason: 'schedule' }],
          staticSummary: `scheduled ${a.strategy} backup of ${a.name}`,
        },
        policies: { overlap: OVERLAP[s.overlap], catchupWindow: s.catchupWindow as Duration },
        state: { paused: s.paused, note: `from plan: ${s.every ? `every ${s.every}` : `cron ${s.cron}`}` },
        memo: MANAGED_MEMO,
      } as ScheduleOptions;
    });
}
