import type { ScheduleOptions, ScheduleSpec } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Plan } from '../config/plan-schema';
import { parsePredictionConfig } from '../predict/site-config';
import { trainingWorkflowId } from '../contracts/prediction-inputs';
import { scheduledStart } from './scheduled-start';
import { OVERLAP } from './schedule-overlap';

export const trainingScheduleId = (site: string) => `lepton-train-${site}`;

/**
 * A training schedule per site with `prediction.training.schedule`: trainingWorkflow under
 * "train-<site>" (the schedule appends the time); the loop picks the new model up at its next
 * iteration. Pure, like the other schedule specs.
 */
export function trainingSchedules(plan: Plan, memo: Record<string, string>): ScheduleOptions[] {
  const out: ScheduleOptions[] = [];
  plan.sites.forEach((raw, i) => {
    const p = raw.prediction as { training?: { schedule?: unknown } } | undefined;
    if (!p || typeof p !== 'object' || !p.training?.schedule || typeof raw.name !== 'string') return;
    const site = raw.name;
    const s = parsePredictionConfig(p, `plan: sites.${i}.prediction`).training.schedule!;
    out.push({
      scheduleId: trainingScheduleId(site),
      spec: (s.every ? { intervals: [{ every: s.every as Duration }] } : { cronExpressions: [s.cron as string] }) as ScheduleSpec,
      action: scheduledStart('trainingWorkflow', {
        workflowId: trainingWorkflowId(site),
        taskQueue: plan.temporal.taskQueue,
        args: [{ site, reason: 'schedule' }],
        staticSummary: `scheduled model training for ${site}`,
      }),
      policies: { overlap: OVERLAP[s.overlap], catchupWindow: s.catchupWindow as Duration },
      state: { paused: s.paused, note: `training from plan: ${s.every ? `every ${s.every}` : `cron ${s.cron}`}` },
      memo,
    } as ScheduleOptions);
  });
  return out;
}
